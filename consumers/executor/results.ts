import { StringDecoder } from 'node:string_decoder';
import type { RunResult as EngineResult, StageLimits, StageResult } from '../../runtimes/types';
import type { RunRequest, RunResultRecord, StageLimitsRecord, StageResultRecord } from '../../topics/types';

/** What the scheduler adds to a result: when it queued the run and what it predicted. */
export type SchedulingFields = Partial<Pick<RunResultRecord, 'queuedAtMs' | 'predictedCompileMs' | 'predictedRunMs' | 'predictionBasis' | 'scheduler'>>;

/** Translations between the Kafka records and the runtimes engine. */
export function limitsFromRecord(r: StageLimitsRecord | null): Partial<StageLimits> | undefined {
  if (!r) return undefined;
  const out: Partial<StageLimits> = {};
  for (const [k, v] of Object.entries(r) as [keyof StageLimits, number | null][]) if (v !== null && v !== undefined) out[k] = v;
  return out;
}

function stage(s: StageResult | undefined): StageResultRecord | null {
  if (!s) return null;
  return {
    status: s.status, stdout: s.stdout, stderr: s.stderr, exitCode: s.exitCode, signal: s.signal,
    wallMs: Math.round(s.wallMs), cpuMs: Math.round(s.cpuMs), peakMemoryBytes: Math.round(s.peakMemoryBytes),
    stdoutTruncated: s.stdoutTruncated, stderrTruncated: s.stderrTruncated,
  };
}

export function resultRecord(
  req: RunRequest,
  r: Pick<EngineResult, 'status' | 'message' | 'version' | 'compile' | 'run' | 'cacheHit' | 'pooled'>,
  extra: { startedAtMs: number; finishedAtMs: number; sourceBytes: number; fileCount: number; executorId: string; attempt: number; outputChunks: number } & SchedulingFields,
): RunResultRecord {
  return {
    runId: req.runId, sessionId: req.sessionId, userId: req.userId, replyTo: req.replyTo, source: req.source,
    language: req.language, languageVersion: r.version || req.languageVersion, dependencySet: req.dependencySet, hardwareClass: req.hardwareClass,
    programVersion: req.programVersion, status: r.status, message: r.message ?? null, requestedAtMs: req.requestedAtMs,
    compile: stage(r.compile), run: stage(r.run), cacheHit: r.cacheHit, pooled: r.pooled,
    queuedAtMs: 0, predictedCompileMs: 0, predictedRunMs: 0, predictionBasis: '', scheduler: '', ...extra,
  };
}

export function failedResult(req: RunRequest, status: 'internal_error' | 'cancelled', message: string, executorId: string): RunResultRecord {
  const now = Date.now();
  return resultRecord(req, { status, message, version: '', cacheHit: false, pooled: false }, { startedAtMs: now, finishedAtMs: now, sourceBytes: 0, fileCount: 0, executorId, attempt: 1, outputChunks: 0 });
}

/** Room a result record keeps for everything but its output texts (ids, usage, the message, Avro framing). */
const RESULT_FIXED_BYTES = 64 * 1024;
const MESSAGE_MAX_BYTES = 8 * 1024;

/** The first `bytes` bytes of a string, never splitting a character. */
export function clipUtf8(s: string, bytes: number): string {
  if (Buffer.byteLength(s) <= bytes) return s;
  return new StringDecoder('utf8').write(Buffer.from(s).subarray(0, Math.max(0, bytes)));
}

/**
 * Bounds a result so its record fits a topic of `maxRecordBytes`: the output
 * texts of both stages share what is left after the fixed fields, the
 * smallest keep all of theirs, the largest are cut (and flagged truncated).
 * Output limits are per stream and up to 16 MiB, and invalid UTF-8 grows
 * threefold when decoded, so without this a run's own output could make its
 * answer unpublishable.
 */
export function fitResult(r: RunResultRecord, maxRecordBytes: number): RunResultRecord {
  const budget = maxRecordBytes - RESULT_FIXED_BYTES;
  const fields: { stage: 'compile' | 'run'; stream: 'stdout' | 'stderr'; bytes: number }[] = [];
  for (const stage of ['compile', 'run'] as const) {
    const s = r[stage];
    if (s) for (const stream of ['stdout', 'stderr'] as const) fields.push({ stage, stream, bytes: Buffer.byteLength(s[stream]) });
  }
  const message = r.message === null ? null : clipUtf8(r.message, MESSAGE_MAX_BYTES);
  if (fields.reduce((n, f) => n + f.bytes, 0) <= budget) return message === r.message ? r : { ...r, message };
  const out: RunResultRecord = { ...r, message, compile: r.compile && { ...r.compile }, run: r.run && { ...r.run } };
  let left = budget;
  fields.sort((a, b) => a.bytes - b.bytes);
  fields.forEach((f, i) => {
    const share = Math.floor(left / (fields.length - i));
    const stage = out[f.stage]!;
    if (f.bytes > share) {
      stage[f.stream] = clipUtf8(stage[f.stream], share);
      if (f.stream === 'stdout') stage.stdoutTruncated = true;
      else stage.stderrTruncated = true;
    }
    left -= Buffer.byteLength(stage[f.stream]);
  });
  return out;
}

/** The answer published when a result itself cannot be: same run, no output texts, a message saying why. */
export function unpublishableResult(r: RunResultRecord, why: string): RunResultRecord {
  const strip = (s: StageResultRecord | null) => s && { ...s, stdout: '', stderr: '', stdoutTruncated: s.stdout !== '', stderrTruncated: s.stderr !== '' };
  return { ...r, status: 'internal_error', message: clipUtf8(`The result could not be published: ${why}`, MESSAGE_MAX_BYTES), compile: strip(r.compile), run: strip(r.run) };
}
