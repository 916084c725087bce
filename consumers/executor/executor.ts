import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import { controlTopic, executorGroupId, requestsTopic, topics } from '../../topics/catalog';
import { createTypedProducer, decodeValue, type TypedProducer } from '../../topics/codec';
import type { Registry } from '../../topics/registry';
import type { DeadLetter, RunControl, RunOutput, RunRequest, RunResultRecord } from '../../topics/types';
import type { OutputChunk, RunHandle, RuntimeEngine } from '../../runtimes/types';
import { createSessionBuffers, type SessionBuffer } from '../../stream-processors/buffers/session-buffers';
import { readSnapshots } from '../../stream-processors/buffers/snapshot-reader';
import { toFiles, textBytes } from '../../stream-processors/buffers/apply-ops';
import { createBatchingSender, type BatchingSender } from '../../topics/batching-sender';
import { CoPartitionAssigner } from './co-partition-assigner';
import { createOffsetTracker } from './offset-tracker';
import { failedResult, limitsFromRecord, resultRecord } from './results';
import type { ExecutorSettings } from './settings';

const COMMIT_INTERVAL_MS = 50;

/** The gateway that waits, also as a header: other gateways skip the record without decoding it. */
const replyHeaders = (req: RunRequest) => ({ replyTo: req.replyTo });

export interface ExecutorLogger { info(o: object, m?: string): void; warn(o: object, m?: string): void; error(o: object, m?: string): void }

export interface ExecutorDeps {
  kafka: Kafka;
  registry: Registry;
  engine: RuntimeEngine;
  settings: ExecutorSettings;
  logger: ExecutorLogger;
  executorId?: string;
  /** Told how long rebuilding buffers took whenever partitions arrive (the benchmark listens). */
  onRestore?: (r: { partitions: number[]; records: number; ms: number }) => void;
}

/**
 * An executor of one hardware class: a member of the group that consumes
 * editor.edits, runs.requests.<class> and runs.control.<class> co-partitioned.
 * It keeps the text of its partitions' sessions, runs requests through the
 * runtimes engine with bounded concurrency, streams output, publishes the
 * result, and only then commits the request's offset.
 */
export function createExecutor(deps: ExecutorDeps) {
  const { kafka, registry, engine, settings, logger } = deps;
  const hw = settings.EXECUTOR_HARDWARE_CLASS;
  const executorId = deps.executorId ?? `executor-${hw}-${randomUUID().slice(0, 8)}`;
  const editsTopic = topics.edits.name;
  const reqTopic = requestsTopic(hw).name;
  const ctlTopic = controlTopic(hw).name;
  const buffers = createSessionBuffers();
  const tracker = createOffsetTracker();
  const finished = new Map<string, RunResultRecord>();
  const running = new Map<string, { handle: RunHandle | null; cancelled: boolean; done: Promise<void> }>();
  // Control records can overtake their run request (separate topics): keep them until the run starts.
  const pendingControls = new Map<string, RunControl[]>();
  const editOffsets = new Map<number, number>();
  let owned = new Set<number>();
  let active = 0;
  const slotWaiters: (() => void)[] = [];
  let producer: TypedProducer;
  // Output chunks of all runs share produce requests: a flood costs few round trips.
  let outputs: BatchingSender;
  let consumer: Consumer;
  let snapshotTimer: NodeJS.Timeout | undefined;
  let stopping = false;
  let restoring: Promise<void> = Promise.resolve();
  // Partitions whose buffers are being rebuilt: their edits wait, even one fetched before the pause took effect.
  const restoringParts = new Map<number, Promise<void>>();

  async function acquire() {
    if (active < settings.EXECUTOR_CONCURRENCY) {
      active++;
      return;
    }
    await new Promise<void>((r) => slotWaiters.push(r));
  }
  function release() {
    const next = slotWaiters.shift();
    if (next) next();
    else active--;
  }

  async function deadLetter(topic: string, partition: number, m: KafkaMessage, code: string, reason: string, runId: string | null = null) {
    const dl: DeadLetter = {
      id: randomUUID(), timestampMs: Date.now(), sourceTopic: topic, partition, offset: Number(m.offset), key: m.key?.toString() ?? null,
      runId, code, reason, consumer: executorId, payload: m.value ?? null,
    };
    await producer.send(topics.dlq, [{ key: dl.id, value: dl }]);
    logger.warn({ topic, partition, offset: m.offset, code }, reason);
  }

  // Commits of finished runs are gathered for COMMIT_INTERVAL_MS: one request for many runs
  // (the broker's CPU per run mattered more than the slightly wider redelivery window).
  const commitDue = new Set<number>();
  let commitTimer: NodeJS.Timeout | undefined;
  async function flushCommits() {
    commitTimer = undefined;
    const offsets = [...commitDue].flatMap((partition) => {
      const offset = tracker.committable(reqTopic, partition);
      return offset === null ? [] : [{ topic: reqTopic, partition, offset: String(offset) }];
    });
    commitDue.clear();
    if (!offsets.length) return;
    try {
      await consumer.commitOffsets(offsets);
    } catch (err) {
      // After a rebalance the partition may belong to someone else: its new owner redelivers.
      logger.warn({ err: (err as Error).message }, 'offset commit failed');
    }
  }
  function commit(partition: number) {
    commitDue.add(partition);
    commitTimer ??= setTimeout(() => void flushCommits(), COMMIT_INTERVAL_MS);
  }

  /** Checkpoints changed sessions, then commits the edits those snapshots cover. */
  async function checkpoint() {
    const covered = new Map(editOffsets);
    const snaps = buffers.takeDirty();
    if (snaps.length) {
      try {
        await producer.send(topics.snapshots, snaps.map((s) => ({ key: s.sessionId, value: s, partition: buffers.get(s.sessionId)?.partition })));
      } catch (err) {
        buffers.markDirty(snaps.map((s) => s.sessionId));
        logger.warn({ err: (err as Error).message }, 'snapshot write failed; will retry');
        return;
      }
    }
    const commits = [...covered].filter(([p]) => owned.has(p)).map(([partition, offset]) => ({ topic: editsTopic, partition, offset: String(offset + 1) }));
    if (commits.length) {
      try {
        await consumer.commitOffsets(commits);
      } catch (err) {
        logger.warn({ err: (err as Error).message }, 'edit offset commit failed');
      }
    }
  }

  async function textFor(req: RunRequest, partition: number): Promise<SessionBuffer | null> {
    await restoring;
    let b = await buffers.waitFor(req.sessionId, req.programVersion, settings.BUFFER_WAIT_MS);
    if (b) return b;
    // The edits have not arrived: fall back to the snapshot changelog.
    await readSnapshots(kafka, registry, [partition], (s, p) => {
      if (s.sessionId === req.sessionId) buffers.restore(s, p);
    });
    b = buffers.get(req.sessionId) ?? null;
    return b && b.version >= req.programVersion ? b : null;
  }

  async function publishOutput(req: RunRequest, chunk: OutputChunk) {
    const out: RunOutput = { runId: req.runId, sessionId: req.sessionId, replyTo: req.replyTo, seq: chunk.seq, stage: chunk.stage, stream: chunk.stream, data: chunk.data, timestampMs: Date.now() };
    await outputs.send([{ spec: topics.output, records: [{ key: req.runId, value: out, headers: replyHeaders(req) }] }]);
  }

  async function execute(req: RunRequest, partition: number, m: KafkaMessage): Promise<RunResultRecord> {
    const buffer = await textFor(req, partition);
    if (!buffer) {
      const reason = `The text of session ${req.sessionId} at version ${req.programVersion} is not available to this executor.`;
      await deadLetter(reqTopic, partition, m, 'program_unavailable', reason, req.runId);
      return failedResult(req, 'internal_error', `program_unavailable: ${reason}`, executorId);
    }
    // The buffer keeps changing while the program runs; run the text as of now.
    const files = toFiles(buffer.files);
    const state = running.get(req.runId)!;
    await acquire();
    const startedAtMs = Date.now();
    try {
      if (state.cancelled || pendingControls.get(req.runId)?.some((c) => c.kind === 'cancel')) {
        pendingControls.delete(req.runId);
        return failedResult(req, 'cancelled', 'The run was cancelled before it started.', executorId);
      }
      const chunks: Promise<void>[] = [];
      const handle = engine.start(
        {
          runId: req.runId, language: req.language, version: req.languageVersion || undefined, dependencySet: req.dependencySet,
          hardwareClass: req.hardwareClass, files, stdin: req.stdin, args: req.args, compilerFlags: req.compilerFlags,
          limits: { compile: limitsFromRecord(req.compileLimits), run: limitsFromRecord(req.runLimits) },
        },
        { onChunk: req.streamOutput ? (c) => void chunks.push(publishOutput(req, c).catch((err) => logger.warn({ runId: req.runId, err: (err as Error).message }, 'output chunk lost'))) : undefined, interactiveStdin: req.source === 'piston_connect' || req.interactiveStdin === true },
      );
      state.handle = handle;
      for (const c of pendingControls.get(req.runId) ?? []) applyControl(state, c);
      pendingControls.delete(req.runId);
      const r = await handle.result;
      await Promise.all(chunks);
      return resultRecord(req, r, {
        startedAtMs, finishedAtMs: Date.now(), sourceBytes: textBytes(buffer.files), fileCount: files.length, executorId, attempt: 1, outputChunks: chunks.length,
      });
    } catch (err) {
      const e = err as Error & { code?: string };
      if (e.code) {
        await deadLetter(reqTopic, partition, m, e.code, e.message, req.runId);
        return failedResult(req, 'internal_error', `${e.code}: ${e.message}`, executorId);
      }
      logger.error({ runId: req.runId, err: e.stack }, 'run failed inside the executor');
      return failedResult(req, 'internal_error', 'The executor failed while running the program.', executorId);
    } finally {
      release();
    }
  }

  async function onRequest(partition: number, m: KafkaMessage) {
    const d = await decodeValue(registry, m.value, requestsTopic(hw));
    if (!d.ok) return deadLetter(reqTopic, partition, m, 'undecodable', d.reason);
    const req = d.value;
    const done = finished.get(req.runId);
    if (done) {
      // A redelivered finished run: republish, never run twice.
      await producer.send(topics.results, [{ key: req.runId, value: done, headers: replyHeaders(req) }]);
      return;
    }
    if (running.has(req.runId)) return;
    const offset = Number(m.offset);
    if (Date.now() - req.requestedAtMs > settings.REQUEST_TTL_MS) {
      // Nobody waits for a request this old (a new group reading history): answer it without running it.
      await producer.send(topics.results, [{ key: req.runId, value: failedResult(req, 'internal_error', 'The request expired before an executor took it.', executorId), headers: replyHeaders(req) }]);
      return;
    }
    tracker.begin(reqTopic, partition, offset);
    const state: { handle: RunHandle | null; cancelled: boolean; done: Promise<void> } = { handle: null, cancelled: false, done: Promise.resolve() };
    running.set(req.runId, state);
    state.done = (async () => {
      let result: RunResultRecord;
      try {
        result = await execute(req, partition, m);
      } catch (err) {
        result = failedResult(req, 'internal_error', `The executor failed: ${(err as Error).message}`, executorId);
      }
      for (let attempt = 0; ; attempt++) {
        try {
          await producer.send(topics.results, [{ key: req.runId, value: result, headers: replyHeaders(req) }]);
          break;
        } catch (err) {
          if (attempt > 20) throw err;
          await new Promise((r) => setTimeout(r, Math.min(2000, 50 * 2 ** attempt)));
        }
      }
      finished.set(req.runId, result);
      if (finished.size > settings.FINISHED_RUNS_REMEMBERED) finished.delete(finished.keys().next().value!);
      running.delete(req.runId);
      tracker.end(reqTopic, partition, offset);
      commit(partition);
    })().catch((err) => logger.error({ runId: req.runId, err: (err as Error).message }, 'result could not be published'));
    // Backpressure: stop taking requests while the local queue is full.
    while (running.size >= settings.EXECUTOR_CONCURRENCY + settings.EXECUTOR_QUEUE && !stopping) {
      await Promise.race([...running.values()].map((r) => r.done));
    }
  }

  async function onEdit(partition: number, m: KafkaMessage) {
    const pending = restoringParts.get(partition);
    if (pending) await pending;
    const d = await decodeValue(registry, m.value, topics.edits);
    if (!d.ok) {
      await deadLetter(editsTopic, partition, m, 'undecodable', d.reason);
    } else {
      const outcome = buffers.apply(d.value, partition);
      if (outcome === 'gap' || outcome === 'invalid') logger.warn({ sessionId: d.value.sessionId, version: d.value.version, outcome }, 'edit not applied');
    }
    editOffsets.set(partition, Number(m.offset));
  }

  async function onControl(partition: number, m: KafkaMessage) {
    const d = await decodeValue(registry, m.value, controlTopic(hw));
    if (!d.ok) return deadLetter(ctlTopic, partition, m, 'undecodable', d.reason);
    const c = d.value;
    const state = running.get(c.runId);
    if (state?.handle) return applyControl(state, c);
    if (state && c.kind === 'cancel') state.cancelled = true;
    if (!finished.has(c.runId)) {
      pendingControls.set(c.runId, [...(pendingControls.get(c.runId) ?? []), c]);
      if (pendingControls.size > 10000) pendingControls.delete(pendingControls.keys().next().value!);
    }
  }

  function applyControl(state: { handle: RunHandle | null; cancelled: boolean }, c: RunControl) {
    if (c.kind === 'cancel') {
      state.cancelled = true;
      state.handle?.kill('SIGKILL');
    } else if (c.kind === 'stdin') state.handle?.write(c.data);
    else if (c.kind === 'eof') state.handle?.endStdin();
    else if (c.kind === 'signal') state.handle?.kill(c.signal || 'SIGTERM');
  }

  return {
    executorId,
    async start() {
      producer = await createTypedProducer(kafka, registry);
      outputs = createBatchingSender(producer, registry);
      consumer = kafka.consumer({
        groupId: executorGroupId(hw),
        partitionAssigners: [CoPartitionAssigner],
        sessionTimeout: settings.EXECUTOR_SESSION_TIMEOUT_MS,
        heartbeatInterval: Math.min(1000, Math.floor(settings.EXECUTOR_SESSION_TIMEOUT_MS / 4)),
        rebalanceTimeout: 30000,
        maxWaitTimeInMs: 100,
        allowAutoTopicCreation: false,
      });
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
        const assigned = new Set<number>((payload.memberAssignment[editsTopic] ?? []) as number[]);
        const lost = [...owned].filter((p) => !assigned.has(p));
        const gained = [...assigned].filter((p) => !owned.has(p));
        owned = assigned;
        buffers.dropPartitions(new Set(lost));
        tracker.forget(reqTopic, lost);
        for (const p of lost) editOffsets.delete(p);
        logger.info({ executorId, partitions: [...assigned], gained, lost }, 'partitions assigned');
        if (gained.length) {
          // Rebuild the buffers of new partitions before their edits are applied.
          consumer.pause([{ topic: editsTopic, partitions: gained }]);
          restoring = readSnapshots(kafka, registry, gained, (s, p) => buffers.restore(s, p))
            .then((r) => {
                        deps.onRestore?.({ partitions: gained, ...r });
              logger.info({ executorId, ...r, partitions: gained }, 'buffers restored from programs.snapshots');
            })
            .catch((err) => logger.error({ err: (err as Error).message }, 'restore failed'))
            .finally(() => {
              for (const p of gained) restoringParts.delete(p);
              consumer.resume([{ topic: editsTopic, partitions: gained }]);
            });
          for (const p of gained) restoringParts.set(p, restoring);
        }
      });
      await consumer.connect();
      // A partition without a committed offset is read from its start: nothing sent before the group existed is skipped.
      await consumer.subscribe({ topics: [editsTopic, reqTopic, ctlTopic], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        partitionsConsumedConcurrently: 6,
        eachMessage: async ({ topic, partition, message }) => {
          if (topic === editsTopic) return onEdit(partition, message);
          if (topic === reqTopic) return onRequest(partition, message);
          return onControl(partition, message);
        },
      });
      snapshotTimer = setInterval(() => void checkpoint(), settings.SNAPSHOT_INTERVAL_MS);
    },
    /** Drains: stops fetching, lets in-flight runs finish and publish, commits, leaves the group. */
    async stop() {
      stopping = true;
      if (snapshotTimer) clearInterval(snapshotTimer);
      consumer.pause([{ topic: editsTopic }, { topic: reqTopic }, { topic: ctlTopic }]);
      await Promise.all([...running.values()].map((r) => r.done));
      if (commitTimer) clearTimeout(commitTimer);
      await flushCommits();
      await checkpoint();
      await consumer.disconnect();
      await producer.disconnect();
    },
  };
}
export type Executor = ReturnType<typeof createExecutor>;
