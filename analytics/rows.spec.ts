import { compactRows } from './warehouse';
import { editRow, runRow, RowError, tableOf } from './rows';

const o = { topic: 'runs.results', partition: 2, offset: 41 };

describe('analytics rows', () => {
  it('turns a run result into one fact row with times, stage durations and resources', () => {
    const stage = (wallMs: number, cpuMs: number, mem: number) => ({ status: 'ok' as const, stdout: 'héllo', stderr: 'w', exitCode: 0, signal: null, wallMs, cpuMs, peakMemoryBytes: mem, stdoutTruncated: false, stderrTruncated: false });
    const row = runRow({
      runId: 'r1', sessionId: 's', userId: 'u', replyTo: '', source: 'rest', language: 'cpp', languageVersion: 'gcc12', dependencySet: 'cpp-gcc12-std',
      hardwareClass: 'x86_64', programVersion: 3, status: 'ok', message: null, requestedAtMs: 1000, startedAtMs: 1250, finishedAtMs: 2000,
      compile: stage(300, 280, 50), run: stage(400, 350, 70), cacheHit: true, pooled: false, sourceBytes: 99, fileCount: 2, executorId: 'e', attempt: 1, outputChunks: 0,
    }, o);
    expect(row).toMatchObject({ queue_wait_ms: 250, latency_ms: 1000, compile_ms: 300, run_ms: 400, cpu_ms: 630, peak_memory_bytes: 70, compiled: 1, executed: 1, cache_hit: 1, stdout_bytes: 6, stderr_bytes: 2, kafka_partition: 2, kafka_offset: 41 });
  });

  it('keeps edit sizes and drops program text', () => {
    const row = editRow({
      eventId: 'e', sessionId: 's', userId: 'u', timestampMs: 5, kind: 'open', language: 'python', dependencySet: 'python-3.11-std', hardwareClass: 'x86_64',
      baseVersion: 0, version: 1, files: [{ name: 'a.py', content: 'print("secret")' }], ops: [{ file: 'a.py', offset: 0, deleteCount: 2, insert: 'abc' }], textBytes: 15,
    }, o);
    expect(row).toMatchObject({ inserted_chars: 3, deleted_chars: 2, file_count: 1, text_bytes: 15 });
    expect(JSON.stringify(row)).not.toContain('secret');
  });

  it('refuses a record without a timestamp', () => {
    expect(() => editRow({ eventId: 'e', sessionId: 's', userId: 'u' } as never, o)).toThrow(RowError);
  });

  it('maps topics to tables', () => {
    expect([tableOf('runs.results'), tableOf('runs.requests.gpu'), tableOf('editor.edits'), tableOf('runs.output')]).toEqual(['runs', 'run_requests', 'edit_activity', null]);
  });
});

describe('compact rows for embedded inserts', () => {
  it('lists every column once, in first-seen order, with null for a missing field', () => {
    const { columns, body } = compactRows([{ a: 1, b: 'x' }, { b: 'y\n"z"', c: [1, 2] }]);
    expect(columns).toEqual(['a', 'b', 'c']);
    expect(body.toString().split('\n').map((l) => JSON.parse(l))).toEqual([[1, 'x', null], [null, 'y\n"z"', [1, 2]]]);
  });
});
