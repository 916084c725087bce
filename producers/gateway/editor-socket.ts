import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { RunResultRecord } from '../../topics/types';
import type { BatchingSender } from '../../topics/batching-sender';
import { topics } from '../../topics/catalog';
import type { Catalog } from './runtime-catalog';
import { ApiError } from './errors';
import { clientMessage, describeIssue, type ClientMessage, type ServerMessage } from './protocol';
import type { RateLimiter } from './rate-limiter';
import type { RunService } from './run-service';
import type { RunListener, RunRouter } from './run-router';
import type { SessionRecovery } from './session-recovery';
import type { GatewaySession, SessionStore } from './sessions';
import type { GatewaySettings } from './settings';
import { toFiles } from '../../stream-processors/buffers/apply-ops';
import { publicResult } from './public-result';
import { mainFileOf } from '../../runtimes/languages';
import type { CollabHub } from './collab-hub';
import { collabToken, isCollabToken } from './collab-token';
import { isWorthRunningAgain, runAgain } from './run-again';
import { queuedUpdates } from './queued-updates';
import { heldJsonSender, type Corkable, type WriteCoalescer } from './write-coalescer';

export interface EditorSocketDeps {
  sender: BatchingSender;
  catalog: Catalog;
  sessions: SessionStore;
  recovery: SessionRecovery;
  runs: RunService;
  router: RunRouter;
  limiter: RateLimiter;
  settings: GatewaySettings;
  metrics: { edits(n: number): void; editAckMs(ms: number): void };
  /** The peers of each session on this gateway (live collaboration). */
  hub: CollabHub;
  /** The key collaboration tokens are made with (the same on every gateway). */
  collabKey: string;
  /** Holds a client's writes to the end of the turn, so one turn's messages to it leave in one write. */
  coalescer?: WriteCoalescer;
}

/**
 * One editor connection: open or resume (or join) a session, stream edits
 * against versions, run, cancel, and receive live output and results; the
 * other peers of the session hear its accepted versions, cursor and runs.
 */
export function handleEditorSocket(ws: WebSocket, client: string, deps: EditorSocketDeps, socket?: Corkable) {
  const { sessions, sender, catalog, runs, router, limiter, settings, hub } = deps;
  let session: GatewaySession | undefined;
  let chain = Promise.resolve();
  // A socket that never opens or resumes a session holds a slot for nothing (docs/limits.md, "Clients").
  const helloTimer = setTimeout(() => {
    send({ type: 'error', code: 'hello_timeout', message: `Open or resume a session within ${settings.EDITOR_HELLO_TIMEOUT_MS} ms of connecting.` });
    ws.close(4008, 'Hello Timeout');
  }, settings.EDITOR_HELLO_TIMEOUT_MS);
  ws.on('close', () => clearTimeout(helloTimer));
  const peerId = randomUUID().slice(0, 8);

  const send: (m: ServerMessage) => void = heldJsonSender(ws, socket, deps.coalescer);
  const peer = { peerId, send };
  /** This connection becomes a peer of `s` (and leaves the session it was in). */
  const attach = (s: GatewaySession) => {
    if (session?.id === s.id && hub.peers(s.id)) return;
    if (session) hub.leave(session.id, peerId);
    session = s;
    hub.join(s.id, peer);
  };
  ws.on('close', () => session && hub.leave(session.id, peerId));
  /** Makes a new version durable, then acknowledges it here and tells the other peers (in version order). */
  const announce = (s: GatewaySession, record: Parameters<BatchingSender['send']>[0][number]['records'][number], others: ServerMessage, reply: ServerMessage | null) =>
    hub.announce(s.id, sender.send([{ spec: topics.edits, records: [record] }]), (ok) => {
      if (ok && reply) send(reply);
      hub.broadcast(s.id, others, peerId);
    });
  const fail = (err: unknown) => {
    if (err instanceof ApiError) send({ type: 'error', code: err.code, message: err.message, ...(err.retryAfterS ? { retryAfterS: err.retryAfterS } : {}) });
    else send({ type: 'error', code: 'internal_error', message: `The gateway could not handle the message: ${(err as Error).message}` });
  };
  const opened = (s: GatewaySession, resumed: boolean): ServerMessage => ({
    type: 'opened', sessionId: s.id, version: s.version, language: s.runtime.language, languageVersion: s.runtime.version,
    dependencySet: s.runtime.dependencySet, hardwareClass: s.runtime.hardwareClass, files: toFiles(s.files), resumed,
    peerId, collabToken: collabToken(deps.collabKey, s.id),
  });
  const need = () => {
    if (!session) throw new ApiError(409, 'no_session', 'Open or resume a session first.');
    return session;
  };

  /**
   * A session this gateway does not hold (restart, other gateway), or holds
   * behind what its client was acknowledged (its clients moved to another
   * gateway and came back): rebuilt from the snapshot changelog and the edits
   * after it, so its next version is a number nobody has been given.
   */
  async function recover(sessionId: string): Promise<GatewaySession | undefined> {
    const found = await deps.recovery.find(sessionId);
    if (!found) return undefined;
    // Another lookup of the same session may have rebuilt it meanwhile.
    const held = sessions.get(sessionId);
    if (held && held.version >= found.version) return held;
    if (held) {
      // Brought up to date in place: peers on this gateway hold the same object.
      held.version = found.version;
      held.files = new Map(found.files.map((f) => [f.name, f.content]));
      held.lastFile = found.files[0]?.name ?? held.lastFile;
      return held;
    }
    const runtime = catalog.resolve(found.language, undefined, found.dependencySet, found.hardwareClass);
    return sessions.open(found.userId, runtime, found.files, found.sessionId, found.version).session;
  }

  async function handle(m: ClientMessage) {
    switch (m.type) {
      case 'ping':
        return send({ type: 'pong' });
      case 'open': {
        limiter.take(client, 'session', settings.RATE_SESSIONS_PER_MINUTE / 60, settings.RATE_SESSIONS_BURST);
        const runtime = catalog.resolve(m.language, m.version, m.dependencySet, m.hardwareClass);
        const files = m.files ?? [{ name: mainFileOf(runtime.language), content: m.text ?? '' }];
        const { session: s, event } = sessions.open(client, runtime, files);
        await sender.send([{ spec: topics.edits, records: [{ key: s.id, value: event, partition: s.partition }] }]);
        attach(s);
        clearTimeout(helloTimer);
        return send(opened(s, false));
      }
      case 'resume': {
        const held = sessions.get(m.sessionId);
        const s = held && held.version >= m.version ? held : ((await recover(m.sessionId)) ?? held);
        if (!s) throw new ApiError(404, 'unknown_session', `Session ${m.sessionId} does not exist or has expired; open a new one.`);
        // Its creator (the same client key) resumes freely; anyone else joins with the collaboration link's token.
        if (s.userId !== client) {
          if (!m.token) throw new ApiError(403, 'collab_token_required', `Session ${m.sessionId} belongs to another client; join it with its collaboration link (which carries a token).`);
          if (!isCollabToken(deps.collabKey, s.id, m.token)) throw new ApiError(403, 'invalid_collab_token', 'The collaboration token does not belong to this session.');
        }
        attach(s);
        clearTimeout(helloTimer);
        // The client's text is what the person sees: if it differs, it becomes the next version.
        if (m.files) {
          const mine = JSON.stringify(toFiles(s.files));
          if (JSON.stringify(m.files) !== mine) {
            const event = sessions.set(s, m.files);
            await announce(s, { key: s.id, value: event, partition: s.partition }, { type: 'edited', version: event.version, author: peerId, files: m.files }, null);
          }
        }
        // Versions announced before this point reach this peer before `opened`, later ones after it.
        await hub.settled(s.id);
        if (!m.files && m.version !== s.version) {
          send({ type: 'resync', version: s.version, files: toFiles(s.files), reason: `Your version ${m.version} differs from the server's ${s.version}.` });
        }
        return send(opened(s, true));
      }
      case 'edit': {
        const s = need();
        limiter.take(client, 'edit', settings.RATE_EDITS_PER_SECOND, settings.RATE_EDITS_BURST);
        const t0 = performance.now();
        const r = sessions.edit(s, m.baseVersion, m.ops);
        if (!r.ok) {
          // After the versions it missed: a collaborator has them by then and only rebases its edit.
          await hub.settled(s.id);
          return send({ type: 'resync', version: s.version, files: toFiles(s.files), reason: r.reason });
        }
        await announce(s, { key: s.id, value: r.event, partition: s.partition }, { type: 'edited', version: r.event.version, author: peerId, ops: r.event.ops }, { type: 'ack', version: r.event.version });
        deps.metrics.edits(1);
        deps.metrics.editAckMs(performance.now() - t0);
        return;
      }
      case 'set': {
        const s = need();
        limiter.take(client, 'edit', settings.RATE_EDITS_PER_SECOND, settings.RATE_EDITS_BURST);
        const event = sessions.set(s, m.files);
        await announce(s, { key: s.id, value: event, partition: s.partition }, { type: 'edited', version: event.version, author: peerId, files: m.files }, { type: 'ack', version: event.version });
        return;
      }
      case 'cursor': {
        if (session) hub.cursor(session.id, peerId, { file: m.file, anchor: m.anchor, head: m.head });
        return;
      }
      case 'sync': {
        const s = need();
        return send({ type: 'resync', version: s.version, files: toFiles(s.files), reason: 'Requested by the client.' });
      }
      case 'run': {
        const s = need();
        limiter.take(client, 'run', settings.RATE_RUNS_PER_MINUTE / 60, settings.RATE_RUNS_BURST);
        // A run's output and result reach every peer of the session, not only the one who pressed Run.
        const everyone = (msg: ServerMessage) => {
          send(msg);
          hub.broadcast(s.id, msg, peerId);
        };
        const listener = (runId: string, retried: boolean): RunListener => {
          const worthTelling = queuedUpdates();
          const answer = (r: RunResultRecord) => everyone({ type: 'result', runId, result: { ...publicResult(r), runId } });
          return {
          onQueued: (q) => {
            if (!worthTelling(q, Date.now())) return;
            send({ type: 'queued', runId, position: q.position, expectedStartMs: q.expectedStartMs, predictedMs: q.predictedMs });
          },
          // A chunk without data only marks a stage's start (Piston clients use it).
          onOutput: (o) => o.data && everyone({ type: 'output', runId, stage: o.stage, stream: o.stream, data: o.data, seq: o.seq }),
          onResult: (r) => {
            // The executor lost this session's text (its snapshot was behind after a failure):
            // the gateway still has it, so it sends the text again and runs once more.
            if (isWorthRunningAgain(r, retried, s.version)) {
              void runAgain({
                result: r,
                resend: () => sender.send([{ spec: topics.edits, records: [{ key: s.id, value: sessions.restate(s), partition: s.partition }] }]),
                again: () => runs.runSession(s, { ...m, runId: `${runId}-again`, version: s.version }, listener(runId, true)),
                answer,
              });
              return;
            }
            answer(r);
          },
          };
        };
        const runId = m.runId ?? `r-${randomUUID()}`;
        const req = await runs.runSession(s, { ...m, runId }, listener(runId, false));
        hub.broadcast(s.id, { type: 'run_accepted', runId: req.runId, version: req.programVersion, author: peerId }, peerId);
        return send({ type: 'run_accepted', runId: req.runId, version: req.programVersion });
      }
      case 'cancel': {
        if (!(await router.control(m.runId, 'cancel'))) throw new ApiError(404, 'unknown_run', `Run ${m.runId} was not started from this gateway.`);
        return;
      }
      case 'stdin': {
        if (!(await router.control(m.runId, 'stdin', m.data))) throw new ApiError(404, 'unknown_run', `Run ${m.runId} was not started from this gateway.`);
        if (m.eof) await router.control(m.runId, 'eof');
        return;
      }
      case 'signal': {
        if (!(await router.control(m.runId, 'signal', '', m.signal))) throw new ApiError(404, 'unknown_run', `Run ${m.runId} was not started from this gateway.`);
        return;
      }
    }
  }

  ws.on('message', (raw, isBinary) => {
    // Messages of one connection are handled in order: an edit is acknowledged before the next is looked at.
    chain = chain.then(async () => {
      try {
        if (isBinary) throw new ApiError(400, 'binary_not_supported', 'Messages are JSON text frames.');
        let json: unknown;
        try {
          json = JSON.parse(raw.toString());
        } catch {
          throw new ApiError(400, 'malformed_json', 'The message is not valid JSON.');
        }
        const parsed = clientMessage.safeParse(json);
        if (!parsed.success) throw new ApiError(400, 'invalid_message', `Invalid message: ${describeIssue(parsed.error)}.`);
        await handle(parsed.data);
      } catch (err) {
        fail(err);
      }
    });
  });
}
