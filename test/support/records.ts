import { randomUUID } from 'node:crypto';
import type { DeadLetter, EditEvent, ProgramSnapshot, RunOutput, RunRequest, RunResultRecord } from '../../topics/types';

/** One realistic record of every topic's value type, for round-trip tests. */
export function sampleRecords(now = Date.now()) {
  const sessionId = `s-${randomUUID()}`;
  const runId = `r-${randomUUID()}`;
  const edit: EditEvent = {
    eventId: randomUUID(), sessionId, userId: 'u-1', timestampMs: now, kind: 'edit', language: 'python', dependencySet: 'python-3.11-std',
    hardwareClass: 'x86_64', baseVersion: 3, version: 4, files: null, ops: [{ file: 'main.py', offset: 5, deleteCount: 1, insert: 'print("é")' }], textBytes: 42,
  };
  const snapshot: ProgramSnapshot = {
    sessionId, userId: 'u-1', language: 'python', dependencySet: 'python-3.11-std', hardwareClass: 'x86_64', version: 4,
    files: [{ name: 'main.py', content: 'print(1)\n' }], updatedAtMs: now,
  };
  const request: RunRequest = {
    runId, sessionId, userId: 'u-1', requestedAtMs: now, language: 'python', languageVersion: '3.11', dependencySet: 'python-3.11-std',
    hardwareClass: 'x86_64', programVersion: 4, stdin: 'in', args: ['a', 'b'], compilerFlags: [],
    compileLimits: null, runLimits: { wallMs: 3000, cpuMs: null, memoryBytes: 268435456, pids: 32, outputBytes: null, fileBytes: null, openFiles: null },
    source: 'websocket', replyTo: 'gw-1', streamOutput: true, interactiveStdin: false,
  };
  const output: RunOutput = { runId, sessionId, replyTo: 'gw-1', seq: 0, stage: 'run', stream: 'stdout', data: '1\n', timestampMs: now };
  const result: RunResultRecord = {
    runId, sessionId, userId: 'u-1', replyTo: 'gw-1', source: 'websocket', language: 'python', languageVersion: '3.11', dependencySet: 'python-3.11-std',
    hardwareClass: 'x86_64', programVersion: 4, status: 'ok', message: null, requestedAtMs: now, startedAtMs: now + 2, finishedAtMs: now + 30,
    compile: null,
    run: { status: 'ok', stdout: '1\n', stderr: '', exitCode: 0, signal: null, wallMs: 25, cpuMs: 20, peakMemoryBytes: 9_000_000, stdoutTruncated: false, stderrTruncated: false },
    cacheHit: false, pooled: true, sourceBytes: 9, fileCount: 1, executorId: 'ex-1', attempt: 1, outputChunks: 1,
    queuedAtMs: 1700000000100, predictedCompileMs: 0, predictedRunMs: 25, predictionBasis: 'source', scheduler: 'conveyor',
  };
  const dead: DeadLetter = {
    id: randomUUID(), timestampMs: now, sourceTopic: 'runs.requests.x86_64', partition: 3, offset: 17, key: sessionId, runId,
    code: 'program_unavailable', reason: 'The program text for this version could not be found.', consumer: 'executor-x86_64', payload: Buffer.from([1, 2, 3]),
  };
  return { edit, snapshot, request, output, result, dead };
}
