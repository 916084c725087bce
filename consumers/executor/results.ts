import type { RunResult as EngineResult, StageLimits, StageResult } from '../../runtimes/types';
import type { RunRequest, RunResultRecord, StageLimitsRecord, StageResultRecord } from '../../topics/types';

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
  extra: { startedAtMs: number; finishedAtMs: number; sourceBytes: number; fileCount: number; executorId: string; attempt: number; outputChunks: number },
): RunResultRecord {
  return {
    runId: req.runId, sessionId: req.sessionId, userId: req.userId, replyTo: req.replyTo, source: req.source,
    language: req.language, languageVersion: r.version || req.languageVersion, dependencySet: req.dependencySet, hardwareClass: req.hardwareClass,
    programVersion: req.programVersion, status: r.status, message: r.message ?? null, requestedAtMs: req.requestedAtMs,
    compile: stage(r.compile), run: stage(r.run), cacheHit: r.cacheHit, pooled: r.pooled, ...extra,
  };
}

export function failedResult(req: RunRequest, status: 'internal_error' | 'cancelled', message: string, executorId: string): RunResultRecord {
  const now = Date.now();
  return resultRecord(req, { status, message, version: '', cacheHit: false, pooled: false }, { startedAtMs: now, finishedAtMs: now, sourceBytes: 0, fileCount: 0, executorId, attempt: 1, outputChunks: 0 });
}
