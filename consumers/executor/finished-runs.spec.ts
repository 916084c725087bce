import { FinishedRuns, resultBytes } from './finished-runs';
import type { RunResultRecord } from '../../topics/types';

const stage = (stdout: string) => ({ status: 'ok' as const, stdout, stderr: '', exitCode: 0, signal: null, wallMs: 1, cpuMs: 1, peakMemoryBytes: 1, stdoutTruncated: false, stderrTruncated: false });
const result = (runId: string, stdout: string) => ({ runId, compile: null, run: stage(stdout), message: null }) as unknown as RunResultRecord;

describe('FinishedRuns', () => {
  it('forgets the oldest past the count bound', () => {
    const f = new FinishedRuns(2, 1e9);
    f.set('a', result('a', 'x'));
    f.set('b', result('b', 'y'));
    f.set('c', result('c', 'z'));
    expect([f.has('a'), f.has('b'), f.has('c')]).toEqual([false, true, true]);
    expect(f.get('c')?.run?.stdout).toBe('z');
  });

  it('forgets the oldest past the byte bound, and keeps the newest even when it alone is larger', () => {
    const mib = 'x'.repeat(1 << 20);
    const f = new FinishedRuns(1000, 5 * (1 << 20));
    for (let i = 0; i < 4; i++) f.set(`r${i}`, result(`r${i}`, mib));
    // 2 bytes a character: two 1 MiB outputs fill 4 MiB, the bound keeps two.
    expect(f.size).toBe(2);
    expect([f.has('r2'), f.has('r3')]).toEqual([true, true]);
    expect(f.bytes).toBe(2 * resultBytes(result('r', mib)));
    const huge = new FinishedRuns(1000, 1000);
    huge.set('big', result('big', mib));
    expect(huge.has('big')).toBe(true);
    huge.set('next', result('next', 'small'));
    expect([huge.has('big'), huge.has('next')]).toEqual([false, true]);
  });

  it('counts a result set twice once', () => {
    const f = new FinishedRuns(10, 1e9);
    f.set('a', result('a', 'one'));
    f.set('a', result('a', 'two'));
    expect(f.size).toBe(1);
    expect(f.bytes).toBe(resultBytes(result('a', 'two')));
    expect(f.get('a')?.run?.stdout).toBe('two');
  });
});

describe('FinishedRuns with a codec', () => {
  // The record as JSON bytes: a stand-in for the results topic's Avro (the executor passes the registry's).
  const json = { encode: (r: RunResultRecord) => Buffer.from(JSON.stringify(r)), decode: (b: Buffer) => JSON.parse(b.toString()) as RunResultRecord };

  it('holds each result as one string of its encoded bytes and gives back an equal result', () => {
    const f = new FinishedRuns(10, 1e9, json);
    const r = result('a', 'héllo ✓\n');
    f.set('a', r);
    const held = (f as unknown as { runs: Map<string, unknown> }).runs.get('a');
    expect(typeof held).toBe('string');
    expect(f.get('a')).toEqual(r);
    expect(f.get('a')).not.toBe(r);
  });

  it('holds the bytes it is given as the published encoding, without encoding the result again', () => {
    let encodes = 0;
    const f = new FinishedRuns(10, 1e9, { encode: (r) => (encodes++, json.encode(r)), decode: json.decode });
    const r = result('a', 'out');
    f.set('a', r, json.encode(r));
    expect(encodes).toBe(0);
    expect(f.get('a')).toEqual(r);
    expect(f.bytes).toBe(json.encode(r).length + 160);
  });

  it('bounds the bytes by what is held encoded', () => {
    const out = 'x'.repeat(100_000);
    const encoded = json.encode(result('r0', out)).length;
    const f = new FinishedRuns(1000, 3 * encoded + 1000, json);
    for (let i = 0; i < 5; i++) f.set(`r${i}`, result(`r${i}`, out));
    // Three fit (the estimate for records held as objects, 2 bytes a character, would keep one).
    expect(f.size).toBe(3);
    expect([f.has('r1'), f.has('r2'), f.has('r3'), f.has('r4')]).toEqual([false, true, true, true]);
  });

  it('holds the record itself while no encoder is known', () => {
    const f = new FinishedRuns(10, 1e9, { encode: () => undefined, decode: () => { throw new Error('never called'); } });
    const r = result('a', 'x');
    f.set('a', r);
    expect(f.get('a')).toBe(r);
    expect(f.bytes).toBe(resultBytes(r));
  });
});
