import type { RunResultRecord, StageResultRecord } from '../../topics/types';
import { diffRun, totals } from './run-diff';

const stage = (stdout: string, o: Partial<StageResultRecord> = {}): StageResultRecord => ({
  status: 'ok', stdout, stderr: '', exitCode: 0, signal: null, wallMs: 10, cpuMs: 8, peakMemoryBytes: 1000, stdoutTruncated: false, stderrTruncated: false, ...o,
});
const result = (stdout: string, o: Partial<RunResultRecord> = {}): RunResultRecord => ({
  runId: 'r1', sessionId: 's1', userId: 'u', replyTo: '', source: 'rest', language: 'python', languageVersion: '3.11', dependencySet: 'python-3.11-std',
  hardwareClass: 'x86_64', programVersion: 3, status: 'ok', message: null, requestedAtMs: 0, startedAtMs: 0, finishedAtMs: 0, compile: null,
  run: stage(stdout), cacheHit: false, pooled: true, sourceBytes: 1, fileCount: 1, executorId: 'e', attempt: 1, outputChunks: 0, ...o,
});

describe('run diff', () => {
  it('calls a run the same when the candidate prints what the recorded run printed', () => {
    const d = diffRun(result('1\n'), result('1\n'), result('1\n', { run: stage('1\n', { cpuMs: 16, peakMemoryBytes: 500 }) }));
    expect(d).toMatchObject({ classification: 'same', statusChanged: false, outputChanged: false, cpuRatio: 2, memoryRatio: 0.5 });
  });

  it('tells an output change that is only whitespace from a real one', () => {
    expect(diffRun(result('a  b\n'), result('a  b\n'), result('a b'))).toMatchObject({ classification: 'changed', outputChanged: true, outputChangedModuloWhitespace: false });
    expect(diffRun(result('a\n'), result('a\n'), result('b\n'))).toMatchObject({ classification: 'changed', outputChangedModuloWhitespace: true });
  });

  it('reports status and diagnostics changes', () => {
    const compiled = (stderr: string, status: 'ok' | 'compile_error' = 'ok') => result('', { status, compile: stage('', { stderr, status }) });
    expect(diffRun(compiled(''), compiled(''), compiled('warning: x', 'ok'))).toMatchObject({ classification: 'changed', diagnosticsChanged: true, statusChanged: false });
    expect(diffRun(compiled(''), compiled(''), compiled('error: y', 'compile_error'))).toMatchObject({ statusChanged: true, candidateStatus: 'compile_error' });
  });

  it('sets apart a program whose two baseline runs differ, and runs without a result', () => {
    expect(diffRun(result('1700000000\n'), result('1700000001\n'), result('1700000002\n')).classification).toBe('nondeterministic');
    expect(diffRun(result('1\n'), result('1\n'), null)).toMatchObject({ classification: 'incomplete', note: 'no candidate result in time' });
  });

  it('totals count regressions among deterministic runs only', () => {
    const ds = [diffRun(result('1'), result('1'), result('1')), diffRun(result('1'), result('1'), result('2')), diffRun(result('1'), result('2'), result('3'))];
    expect(totals(ds)).toMatchObject({ runs: 3, same: 1, changed: 1, nondeterministic: 1, outputChanged: 1, cpuRatioMedian: 1 });
  });
});
