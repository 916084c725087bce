import { FinishedRuns } from './finished-runs';
import { createOutputLinger } from './output-linger';
import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import { executorGroupId, executorTopics, REPEATED_RESULT_HEADER, topics, type TopicSpec } from '../../topics/catalog';
import { createTypedProducer, decodeValueNow, type Decoded, type TypedProducer } from '../../topics/codec';
import { decodeConsumed, type Consumed } from '../../topics/decode-consumed';
import { runKeptAlive } from '../../topics/keep-running';
import type { Registry } from '../../topics/registry';
import type { EditEvent, ExecutorLoad, RunOutput, RunRequest, RunResultRecord } from '../../topics/types';
import type { OutputChunk, RuntimeEngine } from '../../runtimes/types';
import { createSessionBuffers, type SessionBuffer } from '../../stream-processors/buffers/session-buffers';
import { readSnapshots } from '../../stream-processors/buffers/snapshot-reader';
import { toFiles, textBytes } from '../../stream-processors/buffers/apply-ops';
import { deadLetterOf } from '../../topics/dead-letter';
import { sleep } from '../../topics/ground/retry';
import { createBatchingSender, type BatchingSender } from '../../topics/batching-sender';
import { createCheckpointer } from './checkpointer';
import { createCommitBatcher } from './commit-batcher';
import { createExecutorConsumer } from './consumer';
import { createControlInbox } from './control-inbox';
import { drain } from './drain';
import { createInheritance } from './inherit';
import { createPartitionFence } from './partition-fence';
import type { Logger } from '../../topics/ground/logger';
import { createOffsetTracker } from './offset-tracker';
import { publishResult } from './publish-result';
import { failedResult, limitsFromRecord, resultRecord } from './results';
import { createRestore, type RestoreReport } from './restore';
import type { QueuedRun, RunQueue } from './scheduler/types';
import { newRunState, type RunState } from './run-state';
import type { ExecutorSettings } from './settings';
import { createBacklog } from './backlog';
import { createExecutorScheduling } from './scheduler/executor-scheduling';
import { createSlots } from './slots';
import { createFetchRest } from './fetch-rest';

/** How long results are held for a rebalance to finish (the consumer's rebalance timeout plus a join); longer, and they are not published. */
const REBALANCE_HOLD_MS = 45000;

/** The gateway that waits, also as a header: other gateways skip the record without decoding it. */
const replyHeaders = (req: RunRequest) => ({ replyTo: req.replyTo });

export interface ExecutorDeps {
  kafka: Kafka;
  registry: Registry;
  engine: RuntimeEngine;
  settings: ExecutorSettings;
  logger: Logger;
  /** The group member to run on; by default one built from settings (createExecutorConsumer). */
  consumer?: Consumer;
  /** Which waiting run gets the next free slot; by default the scheduler EXECUTOR_SCHEDULER names. */
  queue?: RunQueue<QueuedRun>;
  executorId?: string;
  /** Told how long rebuilding buffers took whenever partitions arrive (the benchmark listens). */
  onRestore?: (r: RestoreReport) => void;
}

/**
 * An executor of one hardware class: a member of the group that consumes
 * editor.edits, runs.requests.<class> and runs.control.<class> co-partitioned.
 * It keeps the text of its partitions' sessions, runs requests through the
 * runtimes engine with bounded concurrency, streams output, publishes the
 * result, and only then commits the request's offset. The roles are pieces
 * beside this file: slots and run queue, commit batcher, checkpointer, control
 * inbox, restore and drain; this file wires them to the consumer's records.
 */
export function createExecutor(deps: ExecutorDeps) {
  const { kafka, registry, engine, settings, logger } = deps;
  const hw = settings.EXECUTOR_HARDWARE_CLASS;
  const executorId = deps.executorId ?? `executor-${hw}-${randomUUID().slice(0, 8)}`;
  // A replay's candidate group runs in a topic namespace ("replay."): never on the users' topics.
  const t = executorTopics(hw, settings.EXECUTOR_TOPIC_NAMESPACE);
  const editsTopic = t.edits.name;
  const reqTopic = t.requests.name;
  const ctlTopic = t.control.name;
  const buffers = createSessionBuffers();
  const tracker = createOffsetTracker();
  /** A result's bytes on the results topic, or undefined (no encoder yet, or a record it refuses: the sender encodes it then, and says why). */
  const encodeResult = (r: RunResultRecord): Buffer | undefined => {
    try {
      return registry.encoderNow(t.results)?.(r);
    } catch {
      return undefined;
    }
  };
  // Held encoded, as the results topic carries them (finished-runs.ts); the encoder is known once the first result went out.
  const finished = new FinishedRuns(settings.FINISHED_RUNS_REMEMBERED, settings.FINISHED_RUNS_REMEMBERED_MIB * 1024 * 1024, {
    encode: (r) => encodeResult(r),
    decode: (b) => registry.decodeNow<RunResultRecord>(b, t.results),
  });
  const running = new Map<string, RunState>();
  const consumer = deps.consumer ?? createExecutorConsumer(kafka, settings);
  // What waits in Kafka behind a full local queue: the report carries it, so admission counts it.
  const backlog = createBacklog({
    offsets: async () => {
      const [ends, [committed]] = await Promise.all([admin.fetchTopicOffsets(reqTopic), admin.fetchOffsets({ groupId: executorGroupId(hw, settings.EXECUTOR_TOPIC_NAMESPACE), topics: [reqTopic] })]);
      return ends.map((e) => ({ partition: e.partition, high: e.high, committed: committed?.partitions.find((c) => c.partition === e.partition)?.offset }));
    },
    refreshMs: 1000,
    onError: (err) => logger.warn({ err: err.message }, 'request end offsets not read; the backlog figure is older'),
  });
  // Which queued run gets the next free slot, and the queue report admission reads: docs/decisions/scheduling-policy.md.
  const scheduling = createExecutorScheduling({
    settings, executorId, logger, owned: () => restore.owned(), active: () => slots.active, backlog: () => ({ count: backlog.count(restore.owned()), atMs: backlog.readAt() }),
    // Held a moment for the next result to take along (one produce request for both), else sent on its own.
    send: (load) => reports.add(executorId, { key: executorId, value: load }),
  });
  const slots = createSlots({
    concurrency: settings.EXECUTOR_CONCURRENCY, queue: deps.queue ?? scheduling.queue,
    express: { slots: settings.SCHEDULER_EXPRESS_SLOTS ?? settings.EXECUTOR_CONCURRENCY, maxCostMs: settings.SCHEDULER_EXPRESS_MAX_MS },
  });
  // Requests fetched while runs are queued and every slot (the express ones too) is busy would only queue too:
  // the next fetch rests a moment, and takes many at once.
  const slotCount = settings.EXECUTOR_CONCURRENCY + (settings.SCHEDULER_EXPRESS_SLOTS ?? settings.EXECUTOR_CONCURRENCY);
  const fetchRest = createFetchRest({
    restMs: settings.EXECUTOR_FETCH_REST_MS,
    queued: () => (settings.EXECUTOR_FETCH_REST_MS > 0 && slots.active >= slotCount ? slots.queued : 0),
  });
  const controls = createControlInbox({
    running, finished: (runId) => finished.has(runId),
    onRefused: (c, err) => logger.warn({ runId: c.runId, signal: c.signal, err: err.message }, 'signal not delivered'),
  });
  const commits = createCommitBatcher({ topic: reqTopic, tracker, consumer, logger });
  // Exactly one result per run across rebalances: docs/decisions/fleet-manager.md ("Partitions that move").
  const fence = createPartitionFence({ holdMs: REBALANCE_HOLD_MS });
  const admin = kafka.admin();
  const inheritance = createInheritance({
    topic: reqTopic, tracker, logger, deadlineMs: REBALANCE_HOLD_MS,
    fetchCommitted: async () => {
      const groupId = executorGroupId(hw, settings.EXECUTOR_TOPIC_NAMESPACE);
      const [offsets] = await admin.fetchOffsets({ groupId, topics: [reqTopic] });
      return offsets?.partitions ?? [];
    },
  });
  const restore = createRestore({
    editsTopic, consumer, buffers, logger, executorId, onRestore: deps.onRestore,
    readSnapshots: (partitions, onSnapshot) => readSnapshots(kafka, registry, partitions, onSnapshot, t.snapshots),
    // The request partitions' offsets are forgotten in joined(), with their runs.
    onLost: (lost) => checkpointer.forget(lost),
  });
  const checkpointer = createCheckpointer({
    // Its commits take the runs' due commits along: one request for both (commit-batcher.ts).
    editsTopic, buffers, consumer: { commitOffsets: commits.along }, logger, owned: restore.owned,
    sendSnapshots: (records) => producer.send(t.snapshots, records),
  });
  let producer: TypedProducer;
  let sideProducer: TypedProducer;
  // Output chunks and results of all runs share produce requests: a flood, or many short runs finishing together, cost few round trips.
  let outputs: BatchingSender;
  let snapshotTimer: NodeJS.Timeout | undefined;
  let stopping = false;

  async function deadLetter(topic: string, partition: number, m: KafkaMessage, code: string, reason: string, runId: string | null = null) {
    const dl = deadLetterOf(m, { topic, partition }, code, reason, executorId, runId);
    await producer.send(t.dlq, [{ key: dl.id, value: dl }]);
    logger.warn({ topic, partition, offset: m.offset, code }, reason);
  }


  async function textFor(req: RunRequest, partition: number): Promise<SessionBuffer | null> {
    await restore.settled();
    let b = await buffers.waitFor(req.sessionId, req.programVersion, settings.BUFFER_WAIT_MS);
    if (b) return b;
    // The edits have not arrived: fall back to the snapshot changelog.
    await readSnapshots(kafka, registry, [partition], (s, p) => {
      if (s.sessionId === req.sessionId) buffers.restore(s, p);
    }, t.snapshots);
    b = buffers.get(req.sessionId) ?? null;
    return b && b.version >= req.programVersion ? b : null;
  }

  type OutputRecord = { key: string; value: RunOutput; headers: ReturnType<typeof replyHeaders> };
  const lingering = createOutputLinger<OutputRecord>({
    send: (records) => outputs.send([{ spec: t.output, records }]),
    lingerMs: settings.OUTPUT_LINGER_MS,
    maxHeldBytes: 64 * 1024,
    bytes: (r) => r.value.data.length,
  });

  type LoadRecord = { key: string; value: ExecutorLoad };
  const reports = createOutputLinger<LoadRecord>({
    send: (records) => outputs.send([{ spec: topics.load, records }]),
    lingerMs: settings.SCHEDULER_REPORT_LINGER_MS,
    maxHeldBytes: Infinity,
    bytes: () => 0,
  });

  function publishOutput(req: RunRequest, chunk: OutputChunk, lingerMs?: number) {
    const out: RunOutput = { runId: req.runId, sessionId: req.sessionId, replyTo: req.replyTo, seq: chunk.seq, stage: chunk.stage, stream: chunk.stream, data: chunk.data, timestampMs: Date.now() };
    const acked = lingering.add(req.runId, { key: req.runId, value: out, headers: replyHeaders(req) }, lingerMs);
    // A stage's start tells an interactive client it may send stdin: not held.
    if (chunk.seq < 0) lingering.flush(req.runId);
    return acked;
  }

  /**
   * How long a run's output waits for more, or for its result: longer for a run expected (from runs seen) to be short,
   * unless someone types into it (its prompts are not held).
   */
  function outputLingerOf(req: RunRequest, p: ReturnType<typeof scheduling.fields>): number {
    if (req.source === 'piston_connect' || req.interactiveStdin === true) return settings.OUTPUT_LINGER_MS;
    const known = p.predictionBasis !== undefined && p.predictionBasis !== '' && p.predictionBasis !== 'prior';
    const short = known && (p.predictedCompileMs ?? 0) + (p.predictedRunMs ?? 0) <= settings.OUTPUT_SHORT_RUN_MS;
    return short ? Math.max(settings.OUTPUT_LINGER_MS, settings.OUTPUT_SHORT_RUN_MS) : settings.OUTPUT_LINGER_MS;
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
    const queued = scheduling.queued(req, files);
    const granted = slots.acquire(queued);
    // Report at once, queued and again started: admission and `queued` messages see it without waiting for the interval.
    scheduling.reporter.poke();
    await granted;
    scheduling.reporter.poke();
    const scheduled = scheduling.fields(queued);
    const lingerMs = outputLingerOf(req, scheduled);
    const startedAtMs = Date.now();
    try {
      if (controls.cancelledBeforeStart(state)) return { ...failedResult(req, 'cancelled', 'The run was cancelled before it started.', executorId), ...scheduled };
      const chunks: Promise<void>[] = [];
      const handle = engine.start(
        {
          runId: req.runId, language: req.language, version: req.languageVersion || undefined, dependencySet: req.dependencySet,
          hardwareClass: req.hardwareClass, files, stdin: req.stdin, args: req.args, compilerFlags: req.compilerFlags,
          limits: { compile: limitsFromRecord(req.compileLimits), run: limitsFromRecord(req.runLimits) },
        },
        {
          onChunk: req.streamOutput ? (c) => void chunks.push(publishOutput(req, c, lingerMs).catch((err) => logger.warn({ runId: req.runId, err: (err as Error).message }, 'output chunk lost'))) : undefined,
          // Interactive clients send stdin once a stage has started: tell them when it does, as an output chunk without data.
          onStage: req.streamOutput && req.source === 'piston_connect'
            ? (stage) => void chunks.push(publishOutput(req, { stage, stream: 'stdout', data: '', seq: -1 }).catch((err) => logger.warn({ runId: req.runId, err: (err as Error).message }, 'stage event lost')))
            : undefined,
          interactiveStdin: req.source === 'piston_connect' || req.interactiveStdin === true,
        },
      );
      state.handle = handle;
      controls.started(state);
      const r = await handle.result;
      const finishedAtMs = Date.now();
      // Not awaited: the run's last chunks go with its result, in one call of the sender (publish below;
      // the gateway holds a result until its outputChunks arrived: producers/gateway/run-router.ts).
      void Promise.all(chunks);
      const record = resultRecord(req, r, {
        startedAtMs, finishedAtMs, sourceBytes: textBytes(buffer.files), fileCount: files.length, executorId, attempt: 1, outputChunks: chunks.length, ...scheduled,
      });
      if (!state.abandoned) scheduling.learn(queued, record);
      return record;
    } catch (err) {
      const e = err as Error & { code?: string };
      if (e.code) {
        await deadLetter(reqTopic, partition, m, e.code, e.message, req.runId);
        return failedResult(req, 'internal_error', `${e.code}: ${e.message}`, executorId);
      }
      logger.error({ runId: req.runId, err: e.stack }, 'run failed inside the executor');
      return failedResult(req, 'internal_error', 'The executor failed while running the program.', executorId);
    } finally {
      slots.release(req.runId);
      fetchRest.changed();
    }
  }

  /** Decodes a consumed record; a registry outage is retried, beating, then thrown (the record is fetched again), never dead-lettered. */
  function decode<T>(spec: TopicSpec<T>, m: KafkaMessage, heartbeat: () => Promise<void>): Promise<Consumed<T>> {
    return decodeConsumed(registry, spec, m, {
      // The wait (up to REGISTRY_RETRY_MS) is far longer than the group's session: beat while it lasts, or the group drops this member.
      deadlineMs: settings.REGISTRY_RETRY_MS, stopped: () => stopping, heartbeat,
      onRetry: (reason, attempt) => attempt === 1 && logger.warn({ topic: spec.name, offset: m.offset, reason }, 'schema registry unavailable; retrying the decode'),
    });
  }

  /** A request answered without running it: counted as done, so its offset is committed and a redelivery skips it. */
  function answered(partition: number, offset: number) {
    backlog.taken(partition, offset);
    tracker.answered(reqTopic, partition, offset);
    commits.commit(partition);
  }

  async function onRequest(partition: number, m: KafkaMessage, heartbeat: () => Promise<void>) {
    const inheriting = inheritance.ready(partition);
    if (inheriting) await inheriting;
    const offset = Number(m.offset);
    // Taken already, here or by the partition's previous owner (its commit's hand-over): never run twice.
    if (tracker.seen(reqTopic, partition, offset)) return;
    const d = await decode(t.requests, m, heartbeat);
    if (!d.ok) {
      await deadLetter(reqTopic, partition, m, 'undecodable', d.reason);
      return answered(partition, offset);
    }
    const req = d.value;
    // A run abandoned when its partition left, and the partition is back: wait until the old run is gone.
    const prior = running.get(req.runId);
    if (prior?.abandoned) await prior.done;
    else if (prior) return;
    const done = finished.get(req.runId);
    if (done) {
      // Asked for again (its client resumed on another gateway after the one waiting for it died, and that one
      // never got this result): the same result again, to whoever asks now; not run twice. Delivered at once
      // (no output chunks to wait for: the result carries the whole output).
      await producer.send(t.results, [{ key: req.runId, value: { ...done, replyTo: req.replyTo, outputChunks: 0 }, headers: { ...replyHeaders(req), [REPEATED_RESULT_HEADER]: '1' } }]);
      return answered(partition, offset);
    }
    if (Date.now() - req.requestedAtMs > settings.REQUEST_TTL_MS) {
      // Nobody waits for a request this old (a new group reading history): answer it without running it.
      await producer.send(t.results, [{ key: req.runId, value: failedResult(req, 'internal_error', 'The request expired before an executor took it.', executorId), headers: replyHeaders(req) }]);
      return answered(partition, offset);
    }
    // Backpressure: no request is taken while the local queue is full (so it holds at most EXECUTOR_CONCURRENCY +
    // EXECUTOR_QUEUE runs, whichever partitions they come from), heartbeating so the group keeps this member (a
    // rebalance it reports is thrown to kafkajs, which rejoins and fetches this request again). From the check to
    // taking the request nothing awaits, so concurrent partitions cannot all pass it at once.
    while (running.size >= settings.EXECUTOR_CONCURRENCY + settings.EXECUTOR_QUEUE && !stopping) {
      backlog.pressed();
      const abort = new AbortController();
      await Promise.race([...[...running.values()].map((r) => r.done), sleep(1000, abort.signal)]);
      abort.abort();
      await heartbeat();
    }
    // Draining: not taken, so not committed; the partition's next owner runs it.
    if (stopping) return;
    backlog.taken(partition, offset);
    tracker.begin(reqTopic, partition, offset);
    const state = newRunState(req.runId, partition);
    running.set(req.runId, state);
    state.done = (async () => {
      let result: RunResultRecord;
      try {
        result = await execute(req, partition, m);
      } catch (err) {
        result = failedResult(req, 'internal_error', `The executor failed: ${(err as Error).message}`, executorId);
      }
      // The partition went to another member during the run (or a rebalance outlived the hold): the new owner answers.
      if (state.abandoned || !(await fence.mayAnswer(partition)) || state.abandoned) {
        // Its output still goes to whoever watches, as it streamed.
        lingering.flush(req.runId);
        if (running.get(req.runId) === state) running.delete(req.runId);
        // Still ours after all (the hold ran out): owed again, run when the rejoined group redelivers it.
        if (!state.abandoned) tracker.reopen(reqTopic, partition, offset);
        logger.warn({ runId: req.runId, partition, reopened: !state.abandoned }, 'run abandoned: its partition moved to another member, or the rebalance outlived the hold');
        return;
      }
      // The chunks the run still holds and its result are one call of the sender: one produce request, never split
      // between the two connections (a chunk on the side one and the result behind the main one's ack).
      // So does the queue report held then. Both on the first attempt only: a retry sends neither twice.
      const withReport = reports.carrying(executorId, (held, parts: Parameters<BatchingSender['send']>[0]) =>
        outputs.send(held.length ? [{ spec: topics.load, records: held }, ...parts] : parts));
      // Encoded once: the bytes that go out are the ones the finished-run set holds (finished-runs.ts).
      let published: { r: RunResultRecord; bytes: Buffer } | undefined;
      const send = lingering.carrying(req.runId, (chunks, r: RunResultRecord) => {
        const bytes = encodeResult(r);
        published = bytes && { r, bytes };
        return withReport([
          ...(chunks.length ? [{ spec: t.output, records: chunks }] : []),
          { spec: t.results, records: [{ key: req.runId, value: r, encoded: bytes, headers: replyHeaders(req) }] },
        ]);
      });
      result = await publishResult(result, {
        send,
        maxRecordBytes: t.results.maxRecordBytes, stopping: () => stopping, logger,
      });
      finished.set(req.runId, result, published?.r === result ? published.bytes : undefined);
      running.delete(req.runId);
      tracker.end(reqTopic, partition, offset);
      commits.commit(partition);
    })().catch((err) => logger.error({ runId: req.runId, err: (err as Error).message }, 'result could not be published'));
    // Once per fetch, while runs are queued: the fetch loop waits here (fetch-rest.ts).
    await fetchRest.rest();
  }

  /** A rebalance is starting (or this member fell out): hold results, and commit what is due while the group still takes this generation's commits. */
  function generationEnding() {
    fence.rebalancing();
    void commits.flush();
  }

  /** The group assigned these request partitions: runs of lost ones are abandoned, gained ones inherit the committed hand-over. */
  function joined(partitions: number[]) {
    const { lost, gained } = fence.joined(partitions);
    const gone = new Set(lost);
    for (const state of running.values()) {
      if (!gone.has(state.partition) || state.abandoned) continue;
      state.abandoned = true;
      state.cancelled = true;
      state.handle?.cancel();
    }
    if (lost.length) tracker.forget(reqTopic, lost);
    backlog.forget(lost);
    inheritance.gained(gained);
    void commits.retry(fence.owned());
  }

  /**
   * Applies an edit to its session's buffer. Nearly every edit is applied
   * without a promise (its partition is not being restored, its schema is
   * known): edits are most of the records an executor reads.
   */
  function onEdit(partition: number, m: KafkaMessage, heartbeat: () => Promise<void>): Promise<void> | void {
    const pending = restore.ready(partition);
    if (pending) return pending.then(() => decodeEdit(partition, m, heartbeat));
    return decodeEdit(partition, m, heartbeat);
  }

  function decodeEdit(partition: number, m: KafkaMessage, heartbeat: () => Promise<void>): Promise<void> | void {
    const d = decodeValueNow(registry, m.value, t.edits);
    if (d) return applyEdit(partition, m, d, heartbeat);
    return decode(t.edits, m, heartbeat).then((later) => applyEdit(partition, m, later, heartbeat));
  }

  function applyEdit(partition: number, m: KafkaMessage, d: Decoded<EditEvent> | Consumed<EditEvent>, heartbeat: () => Promise<void>): Promise<void> | void {
    if (!d.ok && 'transient' in d && d.transient) return decode(t.edits, m, heartbeat).then((later) => applyEdit(partition, m, later, heartbeat));
    if (!d.ok) return deadLetter(editsTopic, partition, m, 'undecodable', d.reason).then(() => checkpointer.applied(partition, Number(m.offset)));
    const outcome = buffers.apply(d.value, partition);
    if (outcome === 'gap' || outcome === 'invalid') logger.warn({ sessionId: d.value.sessionId, version: d.value.version, outcome }, 'edit not applied');
    checkpointer.applied(partition, Number(m.offset));
  }

  async function onControl(partition: number, m: KafkaMessage, heartbeat: () => Promise<void>) {
    const d = await decode(t.control, m, heartbeat);
    if (!d.ok) return deadLetter(ctlTopic, partition, m, 'undecodable', d.reason);
    controls.receive(d.value);
  }

  return {
    executorId,
    /** The coordinator said the generation is ending, before kafkajs's REBALANCING (group-signals.ts). */
    generationEnding,
    /** What the fleet manager shows: runs held (running or queued) and the partitions owned. */
    status: () => ({ runsInFlight: running.size, partitions: [...restore.owned()].sort((a, b) => a - b), draining: stopping }),
    async start() {
      // A second connection: a result does not wait behind a batch of output on the wire (batching-sender.ts).
      [producer, sideProducer] = await Promise.all([createTypedProducer(kafka, registry), createTypedProducer(kafka, registry)]);
      outputs = createBatchingSender(producer, registry, { side: sideProducer.raw.sendBatch.bind(sideProducer.raw) });
      consumer.on(consumer.events.REBALANCING, generationEnding);
      consumer.on(consumer.events.FETCH, () => fetchRest.fetched());
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
        restore.assigned((payload.memberAssignment[editsTopic] ?? []) as number[]);
        joined((payload.memberAssignment[reqTopic] ?? []) as number[]);
      });
      await admin.connect();
      await consumer.connect();
      // A partition without a committed offset is read from its start: nothing sent before the group existed is skipped.
      await consumer.subscribe({ topics: [editsTopic, reqTopic, ctlTopic], fromBeginning: true });
      await runKeptAlive(consumer, {
        autoCommit: false,
        partitionsConsumedConcurrently: 6,
        eachMessage: async ({ topic, partition, message, heartbeat }) => {
          if (topic === editsTopic) return onEdit(partition, message, heartbeat);
          if (topic === reqTopic) return onRequest(partition, message, heartbeat);
          return onControl(partition, message, heartbeat);
        },
      }, { name: 'executor', logger, stopped: () => stopping });
      snapshotTimer = setInterval(() => void checkpointer.checkpoint(), settings.SNAPSHOT_INTERVAL_MS);
      backlog.start();
      scheduling.reporter.start();
    },
    /** Drains: stops fetching, lets in-flight runs finish and publish, commits, leaves the group (drain.ts). */
    async stop() {
      stopping = true;
      fetchRest.changed(true);
      if (snapshotTimer) clearInterval(snapshotTimer);
      backlog.stop();
      await scheduling.reporter.stop();
      reports.flushAll();
      await drain({
        stopFetching: () => consumer.pause([{ topic: editsTopic }, { topic: reqTopic }, { topic: ctlTopic }]),
        inFlight: () => [...running.values()].map((r) => r.done),
        flushCommits: commits.flush,
        checkpoint: checkpointer.checkpoint,
        leave: async () => {
          await consumer.disconnect();
          await Promise.all([producer.disconnect(), sideProducer.disconnect()]);
          await admin.disconnect();
        },
      });
    },
  };
}
export type Executor = ReturnType<typeof createExecutor>;
