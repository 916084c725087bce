import { Router } from 'express';
import type { Kafka } from 'kafkajs';
import { z } from 'zod';
import type { Registry } from '../../topics/registry';
import type { RoutingTable } from '../../stream-processors/routing/partitioner';
import { HistoryError } from '../../stream-processors/replay/session-history';
import { candidatePartitions, readSession, SessionNotFoundError, type SessionRead } from '../../stream-processors/replay/session-reader';
import { ReplayTimeoutError } from '../../stream-processors/replay/range-reader';
import { ApiError, badRequest } from './errors';
import type { SessionStore } from './sessions';

const sessionId = z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/);
const textQuery = z
  .object({
    version: z.coerce.number().int().min(0).max(2 ** 31 - 1).optional(),
    at: z.coerce.number().int().min(0).optional(),
    dependencySet: z.string().max(64).optional(),
  })
  .strict()
  .refine((q) => q.version === undefined || q.at === undefined, { message: 'give "version" or "at", not both' });

/**
 * The session history endpoints the editor's timeline reads
 * (docs/openapi.yaml): every version with its time and the runs made from
 * each, and the text at a version or a moment, rebuilt from editor.edits by
 * the replay reader. A session this gateway holds names its dependency set,
 * so one partition is read; for any other the reader tries the routing's few
 * candidates. Reads that arrive together for a session share one read, and
 * at most `maxConcurrent` reads run at once (more get 429).
 */
export function historyApi(deps: { kafka: Kafka; registry: Registry; routing: RoutingTable; sessions: SessionStore; maxConcurrent?: number; shareMs?: number; timeoutMs?: number }) {
  const r = Router();
  const inFlight = new Map<string, { at: number; read: Promise<SessionRead> }>();
  let running = 0;
  const maxConcurrent = deps.maxConcurrent ?? 4;
  const shareMs = deps.shareMs ?? 2000;

  function read(id: string, dependencySet: string | undefined): Promise<SessionRead> {
    const known = inFlight.get(id);
    if (known && Date.now() - known.at < shareMs) return known.read;
    if (running >= maxConcurrent) throw new ApiError(429, 'replay_busy', `At most ${maxConcurrent} session histories are read at once; try again in a moment.`, 1);
    running++;
    const set = dependencySet ?? deps.sessions.get(id)?.runtime.dependencySet;
    // No snapshot check: the timeline does not show it, and it reads the session's whole partition of the
    // compacted programs.snapshots (every session's latest text there) and can end on a 3 s idle wait.
    const p = readSession(deps.kafka, deps.registry, { sessionId: id, partitions: candidatePartitions(deps.routing, id, set), timeoutMs: deps.timeoutMs ?? 20000, withSnapshot: false }).finally(() => {
      running--;
    });
    inFlight.set(id, { at: Date.now(), read: p });
    p.catch(() => inFlight.delete(id));
    for (const [k, v] of inFlight) if (Date.now() - v.at > shareMs) inFlight.delete(k);
    return p;
  }

  function translate(err: unknown): never {
    if (err instanceof ApiError) throw err;
    if (err instanceof SessionNotFoundError) throw new ApiError(404, 'unknown_session', err.message);
    if (err instanceof HistoryError) throw new ApiError(404, err.code, err.message);
    if (err instanceof ReplayTimeoutError) throw new ApiError(504, 'replay_timeout', err.message);
    throw new ApiError(503, 'replay_unavailable', `The session history could not be read from the log: ${(err as Error).message}`);
  }

  function idOf(raw: string): string {
    const p = sessionId.safeParse(raw);
    if (!p.success) throw badRequest('invalid_session_id', 'A session id is 1 to 128 letters, digits, "_", ".", ":" or "-".');
    return p.data;
  }

  r.get('/sessions/:id/history', async (req, res) => {
    const id = idOf(req.params.id);
    const set = typeof req.query.dependencySet === 'string' ? req.query.dependencySet : undefined;
    const s = await read(id, set).catch(translate);
    res.json({
      sessionId: id,
      versions: s.history.versions,
      runs: s.runs.map((x) => ({ runId: x.runId, version: x.version, requestedAtMs: x.requestedAtMs, status: x.status, exitCode: x.exitCode })),
    });
  });

  r.get('/sessions/:id/text', async (req, res) => {
    const id = idOf(req.params.id);
    const q = textQuery.safeParse(req.query);
    if (!q.success) throw badRequest('invalid_query', `Query: ${q.error.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`).join('; ')}. Use ?version=N or ?at=<epoch ms>.`);
    const s = await read(id, q.data.dependencySet).catch(translate);
    const versions = s.history.versions;
    let text;
    try {
      text = q.data.version !== undefined ? s.history.textAt(q.data.version) : q.data.at !== undefined ? s.history.textAtTime(q.data.at) : s.history.textAt(versions[versions.length - 1]!.version);
    } catch (err) {
      translate(err);
    }
    res.json({ sessionId: id, version: text.version, files: text.files });
  });

  return r;
}
