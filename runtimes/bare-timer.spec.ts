import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BareTimer } from './bare-timer';

describe('BareTimer', () => {
  let dir: string;
  let t: BareTimer;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bare-timer-'));
    t = BareTimer.start(dir);
  });
  afterEach(() => {
    t.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('times each command in its directory and answers its exit status', async () => {
    const slept = await t.time('sleep 0.2');
    expect(slept.status).toBe(0);
    expect(slept.ms).toBeGreaterThanOrEqual(200);
    expect((await t.time('exit 3')).status).toBe(3);
    await t.time('echo hi > made-here');
    expect(fs.readFileSync(path.join(dir, 'made-here'), 'utf8')).toBe('hi\n');
  });

  it('answers commands in the order they were given', async () => {
    const [a, b] = await Promise.all([t.time('sleep 0.1; exit 1'), t.time('exit 2')]);
    expect([a.status, b.status]).toEqual([1, 2]);
  });

  it('a command cannot read the timer\'s own input', async () => {
    const r = await Promise.all([t.time('if read x; then exit 5; fi; exit 7'), t.time('exit 0')]);
    expect(r.map((x) => x.status)).toEqual([7, 0]);
  });

  it('refuses a command of several lines, and fails its waiters at a deadline', async () => {
    await expect(t.time('true\ntrue')).rejects.toThrow('one line');
    await expect(t.time('sleep 5', 100)).rejects.toThrow('did not finish within 100 ms');
    await expect(t.time('true')).rejects.toThrow('did not finish');
  });
});
