import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Kafka } from 'kafkajs';
import { runRow } from '../../analytics/rows';
import type { Warehouse } from '../../analytics/warehouse';
import { commitGroupOffsets, endOffsets, type GroupOffsets } from '../../consumers/sink/offsets';
import type { EditEvent, RunRequest, RunResultRecord, RunStatusValue } from '../../topics/types';

export const DEP_SETS = [
  { dependencySet: 'python-3.11-std', language: 'python', languageVersion: '3.11' },
  { dependencySet: 'python-3.11-sci', language: 'python', languageVersion: '3.11' },
  { dependencySet: 'cpp-gcc12-std', language: 'cpp', languageVersion: 'gcc12' },
  { dependencySet: 'node-20-std', language: 'javascript', languageVersion: '20' },
] as const;
export const HW = ['x86_64', 'arm64', 'gpu'] as const;

export function tmpDir(name: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `conveyor-${name}-`));
}

export function runResult(prefix: string, i: number, { at = Date.now(), ...o }: Partial<RunResultRecord> & { at?: number } = {}): RunResultRecord {
  const dep = DEP_SETS[i % DEP_SETS.length]!;
  const status: RunStatusValue = o.status ?? (i % 10 === 9 ? 'runtime_error' : 'ok');
  const compiled = (o.language ?? dep.language) === 'cpp';
  return {
    runId: `${prefix}-run-${i}`,
    sessionId: `${prefix}-session-${i % 7}`,
    userId: `${prefix}-user-${i % 5}`,
    replyTo: 'gw-1',
    source: 'rest',
    ...dep,
    hardwareClass: HW[i % HW.length]!,
    programVersion: 1 + (i % 3),
    status,
    message: null,
    requestedAtMs: at,
    startedAtMs: at + 10,
    finishedAtMs: at + 110,
    compile: compiled ? stage('ok', 40, 35) : null,
    run: stage(status, 50, 45),
    cacheHit: i % 2 === 0,
    pooled: true,
    sourceBytes: 200 + i,
    fileCount: 1,
    executorId: 'exec-1',
    attempt: 1,
    outputChunks: 0,
    ...o,
  };
}

/** Loads n runs requested 1 ms apart from `at` straight into `runs`, numbered (and offset) from `first`. */
export async function insertRuns(wh: Warehouse, prefix: string, at: number, n: number, first: number): Promise<void> {
  const rows = [];
  for (let i = 0; i < n; i++) rows.push(runRow(runResult(prefix, first + i, { at: at + i }), { topic: 'runs.results', partition: 0, offset: first + i }));
  await wh.insert('runs', rows);
}

function stage(status: RunStatusValue, wallMs: number, cpuMs: number) {
  return { status, stdout: 'hello\n', stderr: '', exitCode: status === 'ok' ? 0 : 1, signal: null, wallMs, cpuMs, peakMemoryBytes: 8 << 20, stdoutTruncated: false, stderrTruncated: false };
}

export function runRequest(prefix: string, i: number, at = Date.now()): RunRequest {
  const dep = DEP_SETS[i % DEP_SETS.length]!;
  return {
    runId: `${prefix}-run-${i}`,
    sessionId: `${prefix}-session-${i % 7}`,
    userId: `${prefix}-user-${i % 5}`,
    requestedAtMs: at,
    ...dep,
    hardwareClass: HW[i % HW.length]!,
    programVersion: 1,
    stdin: '',
    args: [],
    compilerFlags: ['-O2'],
    compileLimits: null,
    runLimits: null,
    source: 'rest',
    replyTo: 'gw-1',
    streamOutput: true,
  };
}

export function editEvent(prefix: string, i: number, at = Date.now()): EditEvent {
  const dep = DEP_SETS[i % DEP_SETS.length]!;
  return {
    eventId: `${prefix}-edit-${i}`,
    sessionId: `${prefix}-session-${i % 7}`,
    userId: `${prefix}-user-${i % 5}`,
    timestampMs: at,
    kind: i % 7 === 0 ? 'open' : 'edit',
    language: dep.language,
    dependencySet: dep.dependencySet,
    hardwareClass: 'x86_64',
    baseVersion: i,
    version: i + 1,
    files: i % 7 === 0 ? [{ name: 'main.py', content: 'SECRET_PROGRAM_TEXT = 1\n' }] : null,
    ops: [{ file: 'main.py', offset: 0, deleteCount: 1, insert: 'SECRET' }],
    textBytes: 1000 + i,
  };
}

/** Points a fresh consumer group at the current end of its topics, so a test sees only what it produces. */
export async function seekGroupToEnd(kafka: Kafka, groupId: string, topicNames: string[]): Promise<GroupOffsets> {
  const ends = await endOffsets(kafka, topicNames);
  await commitGroupOffsets(kafka, groupId, ends);
  return ends;
}

export const setGroupOffsets = commitGroupOffsets;

export async function waitFor<T>(what: string, probe: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < until) {
    last = await probe();
    if (done(last)) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`Timed out waiting for ${what}; last value ${JSON.stringify(last)}`);
}
