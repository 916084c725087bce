import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import { controlTopic, requestsTopic, topics } from '../../topics/catalog';
import { commitUncommittedEnds } from '../../topics/admin';
import { createPeriodicCommits, type PeriodicCommits } from '../../topics/periodic-commits';
import { decodeConsumed, type Consumed } from '../../topics/decode-consumed';
import { liveConsumerConfig } from '../../topics/consumer-retry';
import { runKeptAlive } from '../../topics/keep-running';
import type { Registry } from '../../topics/registry';
import type { EditEvent, ExecutorLoad, QueuedRunPosition, RunControl, RunOutput, RunRequest, RunResultRecord } from '../../topics/types';
import type { BatchingSender } from '../../topics/batching-sender';
import { sleep } from '../../topics/ground/retry';
import type { Logger } from '../../topics/ground/logger';

export interface RunListener {
  onOutput?(o: RunOutput): void;
  onResult(r: RunResultRecord): void;
  /** The run waits for a slot: its place in its executor's queue (from executors.load). */
  onQueued?(q: QueuedRunPosition): void;
}

/**
 * Sends run requests and brings their output and results back to whoever
 * waits for them in this gateway process. Every gateway reads runs.output and
 * runs.results in a group of its own and keeps the records addressed to it
 * (replyTo), so any number of gateways can run side by side. A run's result
 * is delivered once, after all of its output chunks.
 */
export function createRunRouter(deps: {
  kafka: Kafka; registry: Registry; sender: BatchingSender; gatewayId: string; remember: number; logger: Pick<Logger, 'warn' | 'error'>;
  /** How long a run's listeners wait for its result before they are answered internal_error (every waiter has a deadline). */
  deadlineMs: number;
  /** How long a record's decode waits for a schema registry that cannot be reached before it is fetched again (30 s unless given). */
  decodeDeadlineMs?: number;
}) {
  const { kafka, registry, sender, gatewayId } = deps;
  const listeners = new Map<string, RunListener[]>();
  const deadlines = new Map<string, { req: RunRequest; timer: NodeJS.Timeout }>();
  /** The chunks of each unfinished run delivered so far, by seq (a stage's start, seq -1, by its stage). */
  const chunksSeen = new Map<string, Set<string>>();
  const heldResults = new Map<string, { result: RunResultRecord; timer: NodeJS.Timeout }>();
  const results = new Map<string, RunResultRecord>();
  const runSessions = new Map<string, { sessionId: string; hardwareClass: string; partition: number }>();
  let consumer: Consumer | undefined;
  let commits: PeriodicCommits | undefined;
  let stopping = false;

  function remember(r: RunResultRecord) {
    results.set(r.runId, r);
    if (results.size > deps.remember) results.delete(results.keys().next().value!);
  }

  /**
   * No result within the deadline: the waiting clients get an internal_error
   * answer. It is not remembered, so a result that still comes later is what
   * GET /api/v1/runs/{id} returns.
   */
  function expire(runId: string) {
    const d = deadlines.get(runId);
    deadlines.delete(runId);
    const ls = listeners.get(runId) ?? [];
    listeners.delete(runId);
    if (!d || !ls.length) return;
    deps.logger.warn({ runId, deadlineMs: deps.deadlineMs }, 'no result within the deadline; answering internal_error');
    const now = Date.now();
    const r: RunResultRecord = {
      runId, sessionId: d.req.sessionId, userId: d.req.userId, replyTo: gatewayId, source: d.req.source, language: d.req.language,
      languageVersion: d.req.languageVersion, dependencySet: d.req.dependencySet, hardwareClass: d.req.hardwareClass, programVersion: d.req.programVersion,
      status: 'internal_error', message: `No result arrived within ${Math.round(deps.deadlineMs / 1000)} s; the run may still finish: GET /api/v1/runs/${runId}.`,
      requestedAtMs: d.req.requestedAtMs, compile: null, run: null, cacheHit: false, pooled: false, startedAtMs: now, finishedAtMs: now,
      sourceBytes: 0, fileCount: 0, executorId: gatewayId, attempt: 1, outputChunks: 0,
    };
    for (const l of ls) l.onResult(r);
  }

  function deliver(r: RunResultRecord) {
    const deadline = deadlines.get(r.runId);
    if (deadline) clearTimeout(deadline.timer);
    deadlines.delete(r.runId);
    const held = heldResults.get(r.runId);
    if (held) clearTimeout(held.timer);
    heldResults.delete(r.runId);
    chunksSeen.delete(r.runId);
    remember(r);
    const ls = listeners.get(r.runId) ?? [];
    listeners.delete(r.runId);
    for (const l of ls) l.onResult(r);
  }

  function onResult(r: RunResultRecord) {
    // Redeliveries after an executor crash may publish a result twice: the first one wins.
    if (results.has(r.runId) || heldResults.has(r.runId)) return;
    if ((chunksSeen.get(r.runId)?.size ?? 0) >= r.outputChunks) return deliver(r);
    heldResults.set(r.runId, { result: r, timer: setTimeout(() => deliver(r), 2000) });
  }

  /**
   * A chunk read a second time (the consumer restarted before its offset was committed, or the executor's
   * producer retried it) was delivered already: its clients do not get it twice.
   */
  function onOutput(o: RunOutput) {
    if (results.has(o.runId)) return;
    const seen = chunksSeen.get(o.runId) ?? new Set<string>();
    const id = o.seq >= 0 ? String(o.seq) : `${o.stage} started`;
    if (seen.has(id)) return;
    seen.add(id);
    chunksSeen.set(o.runId, seen);
    for (const l of listeners.get(o.runId) ?? []) l.onOutput?.(o);
    const held = heldResults.get(o.runId);
    if (held && seen.size >= held.result.outputChunks) deliver(held.result);
  }

  /**
   * A record of runs.output or runs.results: delivered when it is this gateway's, or a run someone here waits for.
   * Throws while the schema registry cannot be reached (TransientDecodeError): the record is someone's answer, so it
   * is not marked seen and kafkajs reads it again; only a record that can never be decoded is skipped.
   */
  async function take(topic: string, message: KafkaMessage, heartbeat: () => Promise<void>) {
    const replyTo = message.headers?.replyTo?.toString();
    // Ours, or a run a client asked for again here after its gateway died (records are keyed by run id).
    const waitedFor = (runId: string | undefined) => runId !== undefined && listeners.has(runId);
    if (replyTo !== undefined && replyTo !== gatewayId && !waitedFor(message.key?.toString())) return;
    const retry = {
      deadlineMs: deps.decodeDeadlineMs ?? 30000, stopped: () => stopping, heartbeat,
      onRetry: (reason: string, n: number) => n === 1 && deps.logger.warn({ topic, offset: message.offset, reason }, 'schema registry unavailable; retrying the decode'),
    };
    if (topic === topics.output.name) {
      const o = usable(await decodeConsumed(registry, topics.output, message, retry));
      if (o && (o.replyTo === gatewayId || waitedFor(o.runId))) onOutput(o);
    } else {
      const r = usable(await decodeConsumed(registry, topics.results, message, retry));
      if (r && (r.replyTo === gatewayId || waitedFor(r.runId))) onResult(r);
    }

    function usable<T>(d: Consumed<T>): T | undefined {
      if (d.ok) return d.value;
      deps.logger.warn({ topic, offset: message.offset, reason: d.reason }, 'record not decodable; skipped');
      return undefined;
    }
  }

  return {
    async start() {
      const groupId = `conveyor-gateway-${gatewayId}`;
      // Resumes where it was after a consumer restart (a broker restart), instead of skipping to the end.
      const admin = kafka.admin();
      await admin.connect();
      await commitUncommittedEnds(admin, groupId, [topics.output.name, topics.results.name]).finally(() => admin.disconnect());
      consumer = kafka.consumer(liveConsumerConfig(groupId));
      await consumer.connect();
      await consumer.subscribe({ topics: [topics.output.name, topics.results.name], fromBeginning: false });
      // Results produced before our first fetch would be missed: wait for it.
      const firstFetch = new Promise<void>((resolve) => consumer!.on(consumer!.events.FETCH_START, () => resolve()));
      // Committed once a second, not after every batch: the fetch of a run's result no longer waits for the commit of its output.
      const progress = (commits = createPeriodicCommits(consumer, deps.logger));
      await runKeptAlive(consumer, {
        autoCommit: false,
        partitionsConsumedConcurrently: 6,
        // Seen (so committed) only once taken: a record that threw is read again, never skipped by the next commit.
        eachMessage: async ({ topic, partition, message, heartbeat }) => {
          await take(topic, message, heartbeat);
          progress.seen(topic, partition, message.offset);
        },
      }, { name: 'run router', logger: deps.logger, stopped: () => stopping });
      progress.start();
      await firstFetch;
      await sleep(300);
    },
    async stop() {
      stopping = true;
      await commits?.stop();
      await consumer?.disconnect();
      for (const h of heldResults.values()) clearTimeout(h.timer);
      for (const d of deadlines.values()) clearTimeout(d.timer);
    },

    /** Publishes the request (and the edits it depends on, in one produce) and registers the listener first. */
    async submit(req: RunRequest, partition: number, listener: RunListener, edits: EditEvent[] = []): Promise<void> {
      listeners.set(req.runId, [...(listeners.get(req.runId) ?? []), listener]);
      runSessions.set(req.runId, { sessionId: req.sessionId, hardwareClass: req.hardwareClass, partition });
      if (!deadlines.has(req.runId)) {
        const timer = setTimeout(() => expire(req.runId), deps.deadlineMs);
        timer.unref();
        deadlines.set(req.runId, { req, timer });
      }
      try {
        await sender.send([
          ...(edits.length ? [{ spec: topics.edits, records: edits.map((e) => ({ key: e.sessionId, value: e, partition })) }] : []),
          { spec: requestsTopic(req.hardwareClass), records: [{ key: req.sessionId, value: req, partition }] },
        ]);
      } catch (err) {
        listeners.delete(req.runId);
        clearTimeout(deadlines.get(req.runId)?.timer);
        deadlines.delete(req.runId);
        throw err;
      }
    },

    listen(runId: string, listener: RunListener): () => void {
      const done = results.get(runId);
      if (done) {
        listener.onResult(done);
        return () => {};
      }
      listeners.set(runId, [...(listeners.get(runId) ?? []), listener]);
      return () => listeners.set(runId, (listeners.get(runId) ?? []).filter((l) => l !== listener));
    },

    async control(runId: string, kind: RunControl['kind'], data = '', signal = ''): Promise<boolean> {
      const where = runSessions.get(runId);
      if (!where) return false;
      const c: RunControl = { runId, sessionId: where.sessionId, timestampMs: Date.now(), kind, data, signal };
      await sender.send([{ spec: controlTopic(where.hardwareClass), records: [{ key: where.sessionId, value: c, partition: where.partition }] }]);
      return true;
    },

    /** Tells the listeners of this gateway's queued runs where they stand. */
    queued(load: ExecutorLoad) {
      for (const q of load.queue) for (const l of listeners.get(q.runId) ?? []) l.onQueued?.(q);
    },

    result: (runId: string) => results.get(runId),
    pending: () => listeners.size,
  };
}
export type RunRouter = ReturnType<typeof createRunRouter>;
