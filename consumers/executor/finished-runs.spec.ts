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
