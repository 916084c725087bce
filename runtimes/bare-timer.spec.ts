import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BareTimer, parseTimes } from './bare-timer';

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

  it('answers the CPU each command used, its own and not the ones before it', async () => {
    const busy = await t.time('i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done');
    const idle = await t.time('sleep 0.2');
    expect(busy.cpuMs).toBeGreaterThan(20);
    expect(busy.cpuMs).toBeLessThanOrEqual(busy.ms + 1);
    expect(idle.cpuMs).toBeLessThan(busy.cpuMs / 2);
    expect(idle.ms).toBeGreaterThanOrEqual(200);
  });

  it('reads bash\'s `times` line in either decimal point, and refuses anything else', () => {
    expect(parseTimes('0m0.034s 0m0.013s')).toBeCloseTo(47, 6);
    expect(parseTimes('1m2,500s 0m0,250s')).toBeCloseTo(62750, 6);
    expect(parseTimes('0m0.034s')).toBeNull();
    expect(parseTimes('sleep: not found')).toBeNull();
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
