import type { RunResultRecord } from '../../topics/types';

/** Public shape of a result on the editor protocol and the REST API. */
export function publicResult(r: RunResultRecord) {
  return {
    runId: r.runId, sessionId: r.sessionId, status: r.status, message: r.message, language: r.language, version: r.languageVersion,
    dependencySet: r.dependencySet, hardwareClass: r.hardwareClass, programVersion: r.programVersion, compile: r.compile, run: r.run,
    cacheHit: r.cacheHit, pooled: r.pooled, requestedAtMs: r.requestedAtMs, startedAtMs: r.startedAtMs, finishedAtMs: r.finishedAtMs,
    queueWaitMs: r.startedAtMs - r.requestedAtMs, totalMs: r.finishedAtMs - r.requestedAtMs,
  };
}
