import { randomUUID } from 'node:crypto';
import type { StageLimits } from '../../runtimes/types';
import type { RunRequest, RunSource, SourceFile, StageLimitsRecord } from '../../topics/types';
import type { Catalog, ResolvedRuntime } from './runtime-catalog';
import { ApiError, badRequest } from './errors';
import type { RunListener, RunRouter } from './run-router';
import type { GatewaySession, SessionStore } from './sessions';
import type { GatewaySettings } from './settings';
import type { ExecutorPresence } from './executor-presence';

export interface RunParams {
  runId?: string;
  stdin?: string;
  args?: string[];
  compilerFlags?: string[];
  limits?: { compile?: Partial<StageLimits>; run?: Partial<StageLimits> };
  streamOutput?: boolean;
  /** Keep stdin open for live input (stdin, eof and signal controls). */
  interactive?: boolean;
}

function toRecord(l: Partial<StageLimits> | undefined): StageLimitsRecord | null {
  if (!l) return null;
  return { wallMs: l.wallMs ?? null, cpuMs: l.cpuMs ?? null, memoryBytes: l.memoryBytes ?? null, pids: l.pids ?? null, outputBytes: l.outputBytes ?? null, fileBytes: l.fileBytes ?? null, openFiles: l.openFiles ?? null };
}

/** Admission (./admission.ts): throws 429 when the run's expected wait is beyond the bound. */
export interface Admit { admit(hardwareClass: string, partition: number, now: number): number }

/** The one path from "run this" (WebSocket, REST or Piston) to a request on Kafka. */
export function createRunService(deps: { catalog: Catalog; sessions: SessionStore; router: RunRouter; settings: GatewaySettings; gatewayId: string; presence: ExecutorPresence; admission?: Admit }) {
  const { catalog, sessions, router, settings, gatewayId, presence } = deps;
  const admit = (hardwareClass: string, partition: number) => deps.admission?.admit(hardwareClass, partition, Date.now());

  async function validate(runtime: ResolvedRuntime, p: RunParams) {
    if (p.stdin && Buffer.byteLength(p.stdin) > settings.MAX_STDIN_BYTES) {
      throw new ApiError(413, 'stdin_too_large', `Standard input is limited to ${settings.MAX_STDIN_BYTES} bytes.`);
    }
    if ((p.args?.length ?? 0) > settings.MAX_ARGS) throw badRequest('too_many_args', `At most ${settings.MAX_ARGS} arguments are allowed.`);
    catalog.checkLimits('compile', p.limits?.compile);
    catalog.checkLimits('run', p.limits?.run);
    if (!presence.has(runtime.hardwareClass)) {
      await presence.refresh();
      if (!presence.has(runtime.hardwareClass)) {
        throw new ApiError(503, 'hardware_class_unavailable', `No executor of hardware class "${runtime.hardwareClass}" is running; try again later or choose another class.`, 5);
      }
    }
  }

  function request(s: GatewaySession, version: number, p: RunParams, source: RunSource): RunRequest {
    return {
      runId: p.runId ?? `r-${randomUUID()}`, sessionId: s.id, userId: s.userId, requestedAtMs: Date.now(), language: s.runtime.language,
      languageVersion: s.runtime.version, dependencySet: s.runtime.dependencySet, hardwareClass: s.runtime.hardwareClass, programVersion: version,
      stdin: p.stdin ?? '', args: p.args ?? [], compilerFlags: p.compilerFlags ?? [], compileLimits: toRecord(p.limits?.compile),
      runLimits: toRecord(p.limits?.run), source, replyTo: gatewayId, streamOutput: p.streamOutput ?? true,
      interactiveStdin: p.interactive ?? source === 'piston_connect',
    };
  }

  return {
    /** Runs an open editor session at its current (or a given earlier-acknowledged) version. */
    async runSession(s: GatewaySession, p: RunParams & { version?: number }, listener: RunListener): Promise<RunRequest> {
      await validate(s.runtime, p);
      const version = p.version ?? s.version;
      if (version > s.version) throw badRequest('version_ahead', `Version ${version} has not been received yet (current ${s.version}).`);
      admit(s.runtime.hardwareClass, s.partition);
      const req = request(s, version, p, 'websocket');
      await router.submit(req, s.partition, listener);
      return req;
    },

    /** Runs a program sent whole (REST, Piston): an ephemeral session opened and run in one produce. */
    async runFiles(userId: string, runtime: ResolvedRuntime, files: SourceFile[], p: RunParams, source: RunSource, listener: RunListener): Promise<RunRequest> {
      sessions.checkFiles(files);
      await validate(runtime, p);
      const runId = p.runId ?? `r-${randomUUID()}`;
      const { session, event } = sessions.open(userId, runtime, files, `run-${runId}`);
      sessions.close(session.id);
      const req = request(session, session.version, { ...p, runId }, source);
      // The same run asked for again (an Idempotency-Key) after this gateway has its result: that result, nothing sent.
      if (p.runId && router.result(p.runId)) {
        router.listen(p.runId, listener);
        return req;
      }
      admit(runtime.hardwareClass, session.partition);
      await router.submit(req, session.partition, listener, [event]);
      return req;
    },
  };
}
export type RunService = ReturnType<typeof createRunService>;
