import type { Admin, Consumer, EachBatchPayload, Kafka, KafkaMessage, Producer } from 'kafkajs';
import { CONSUMER_FETCH_LIMITS, groupName, HARDWARE_CLASSES, REPEATED_RESULT_HEADER, requestsTopic, topics } from '../../topics/catalog';
import { commitUncommittedEnds } from '../../topics/admin';
import { avroBodyOf, RegistryError, schemaIdOf, type Registry } from '../../topics/registry';
import type { DeadLetter } from '../../topics/types';
import { AvroContainer } from './avro-container';
import { avroInsert, envelopeSchema, fullName, recordOf, UnsupportedSchema, type AvroRecord } from '../../analytics/avro-rows';
import { specOf, tableOf, toRow, type AnalyticsTable } from '../../analytics/rows';
import type { Warehouse } from '../../analytics/warehouse';
import { SINK_FLUSH_DEFAULT_MS } from '../../analytics/config';
import { createBatcher } from './batcher';
import { createCommitCoalescer } from './commit-coalescer';
import { deadLetterOf } from '../../topics/dead-letter';
import { isDataError, type DeadLetterCode } from './dead-letter';
import { isTransientDecodeError } from '../../topics/codec';
import { CONSUMER_RETRY } from '../../topics/consumer-retry';
import { runKeptAlive } from '../../topics/keep-running';
import { clusterLagSource, groupLag, readLag, type LagSource, type TopicLag } from './lag';
import { createSinkMetrics, type SinkMetrics } from './metrics';
import { silentLogger, type Logger } from '../../topics/ground/logger';
import { idempotentProducer } from '../../topics/idempotent-producer';
import { AbortedError, retryUntilDone, type Backoff } from '../../topics/ground/retry';

export const SINK_GROUP = groupName('conveyor-sink');

export function sinkTopics(): string[] {
  return [topics.results.name, ...HARDWARE_CLASSES.map((h) => requestsTopic(h).name), topics.edits.name, topics.fleet.name];
}

/** The Kafka clients a sink works through: built from `kafka` by default, handed in by a spec (fakes). */
export interface SinkClients {
  consumer: Consumer;
  producer: Producer;
  admin: Admin;
  /** What the lag check reads (one ListOffsets for all topics); without it, the admin's per-topic requests. */
  lag?: LagSource;
}

/**
 * The sink is not in a hurry (it batches for a second anyway): a fetch waits at
 * the broker until this much is new or SINK_FETCH.maxWaitTimeInMs passed, so
 * under load it takes one large fetch (and one insert) where it took dozens of
 * small ones, and idle it asks once a second.
 */
export const SINK_FETCH = { minBytes: 256 * 1024, maxWaitTimeInMs: 1_000 } as const;

export function createSinkClients(kafka: Kafka, groupId: string): SinkClients {
  return {
    consumer: kafka.consumer({ ...CONSUMER_FETCH_LIMITS, ...SINK_FETCH, groupId, sessionTimeout: 30_000, heartbeatInterval: 3_000, retry: CONSUMER_RETRY }),
    producer: idempotentProducer(kafka),
    admin: kafka.admin(),
    lag: clusterLagSource(kafka),
  };
}

export interface SinkOptions {
  /** The cluster the sink's clients are built for; or `clients`, already built. */
  kafka?: Kafka;
  clients?: SinkClients;
  registry: Registry;
  warehouse: Warehouse;
  groupId?: string;
  topics?: string[];
  fromBeginning?: boolean;
  flushRows?: number;
  /** How long rows gather into one insert at most (SINK_FLUSH_DEFAULT_MS unless given). */
  flushMs?: number;
  /** Partition batches handled at once; they share one insert. */
  concurrency?: number;
  backoff?: Backoff;
  lagIntervalMs?: number;
  metrics?: SinkMetrics;
  logger?: Logger;
  /** Which table a topic loads into (default analytics/rows.ts tableOf; a test loads a topic of its own). */
  tableOf?: (topic: string) => AnalyticsTable | null;
}

export interface SinkStatus {
  groupId: string;
  state: 'starting' | 'running' | 'stopping' | 'stopped';
  clickhouse: { up: boolean; since: number; lastError: string | null; failedAttempts: number };
  /** Whether the schema registry answered the last decode that needed it (an outage pauses loading, never dead-letters). */
  registry: { up: boolean; since: number; lastError: string | null; failedAttempts: number };
  lag: TopicLag[];
  totalLag: number;
  lagCheckedAt: number | null;
  bufferedRows: number;
  /** Records fetched and handed to ClickHouse whose insert has not completed yet (pipelined mode). */
  inFlightRows: number;
  insertedRows: Record<string, number>;
  skippedRedeliveries: number;
  /** Results repeated to a client that asked again (REPEATED_RESULT_HEADER): not stored, the run's first result was. */
  repeatedResults: number;
  /** Times this sink joined its group: 1 unless a rebalance (a member lost, one blocked too long) happened. */
  groupJoins: number;
  deadLetters: number;
  lastFlushAt: number | null;
}

export interface Sink {
  start(): Promise<void>;
  /** Flushes what is buffered, commits, and leaves the group. */
  stop(): Promise<void>;
  status(): SinkStatus;
  /** Refreshes the lag figures now (also done on a timer). */
  refreshLag(): Promise<TopicLag[]>;
  readonly metrics: SinkMetrics;
}

/**
 * The ClickHouse sink: consumes run requests, run results and edit metadata,
 * decodes them via the registry and loads them in large batches.
 *
 * No loss: offsets are committed only after the rows are stored; a failing
 * ClickHouse is retried with backoff while lag grows. No duplicates: each
 * block carries a deduplication token (an exact retry is a no-op) and every
 * row carries its topic/partition/offset, whose maximum per partition
 * (sink_offsets, kept by materialized views in the same insert) filters out
 * records redelivered after a restart or rebalance.
 */
export function createSink(o: SinkOptions): Sink {
  const groupId = o.groupId ?? SINK_GROUP;
  const topicNames = o.topics ?? sinkTopics();
  const backoff = o.backoff ?? { initialMs: 200, maxMs: 10_000 };
  const concurrency = o.concurrency ?? 8;
  const metrics = o.metrics ?? createSinkMetrics();
  const logger: Logger = o.logger ?? silentLogger;
  const abort = new AbortController();
  if (!o.clients && !o.kafka) throw new Error('createSink needs kafka or clients');
  const { consumer, producer, admin, lag: lagSource } = o.clients ?? createSinkClients(o.kafka!, groupId);
  /** Per partition: the last offset known loaded (from sink_offsets; cleared when the group re-forms). */
  const highWater = new Map<string, number>();
  /** Per partition: the last offset this process handed to the batcher; it is loaded, or will be while we live. */
  const handedOver = new Map<string, number>();
  /**
   * Whether the next records are fetched while earlier ones are still being
   * inserted (their offsets are committed when their insert completes). Only
   * with the embedded engine: it belongs to this one process, so no other
   * sink can take over a partition and load what is still in flight here.
   * With a server, several sinks may share the group, so each batch waits.
   */
  const pipelined = o.warehouse.kind === 'chdb';
  const flushRows = o.flushRows ?? 100_000;
  /** Rows fetched but not yet inserted, bounded so a slow ClickHouse holds back the fetching. */
  let unsettled = 0;
  const settling = new Set<Promise<void>>();
  const lastCommit = new Map<string, Promise<void>>();
  /** The commits falling due after one insert go as one request. */
  const commits = createCommitCoalescer(consumer);
  let lagTimer: NodeJS.Timeout | null = null;

  const st: SinkStatus = {
    groupId,
    state: 'starting',
    clickhouse: { up: true, since: Date.now(), lastError: null, failedAttempts: 0 },
    registry: { up: true, since: Date.now(), lastError: null, failedAttempts: 0 },
    lag: [],
    totalLag: 0,
    lagCheckedAt: null,
    bufferedRows: 0,
    inFlightRows: 0,
    insertedRows: {},
    skippedRedeliveries: 0,
    repeatedResults: 0,
    groupJoins: 0,
    deadLetters: 0,
    lastFlushAt: null,
  };

  function clickhouseFailed(err: Error, attempt: number, delay: number) {
    if (st.clickhouse.up) st.clickhouse = { up: false, since: Date.now(), lastError: null, failedAttempts: 0 };
    st.clickhouse.lastError = err.message;
    st.clickhouse.failedAttempts++;
    metrics.clickhouseUp.set(0);
    metrics.retries.inc();
    logger.warn({ attempt, delayMs: Math.round(delay), error: err.message }, 'clickhouse unavailable, retrying');
  }
  function clickhouseOk() {
    if (!st.clickhouse.up) {
      logger.info({ downMs: Date.now() - st.clickhouse.since }, 'clickhouse back');
      st.clickhouse = { up: true, since: Date.now(), lastError: null, failedAttempts: 0 };
    }
    metrics.clickhouseUp.set(1);
  }
  /** Retries while ClickHouse is unavailable; an error `permanent` recognises is thrown at once. */
  const withClickHouse = async <T>(op: () => Promise<T>, permanent: (err: unknown) => boolean = () => false): Promise<T> => {
    const out = await retryUntilDone(op, backoff, { signal: abort.signal, onRetry: clickhouseFailed, retryable: (err) => !permanent(err) });
    clickhouseOk();
    return out;
  };

  /** A record waiting in the batcher: its Kafka value stays encoded until ClickHouse (or the slow path) reads it. */
  interface Pending { topic: string; partition: number; message: KafkaMessage; schemaId: number }

  const batcher = createBatcher<Pending>({
    flushRows,
    flushMs: o.flushMs ?? SINK_FLUSH_DEFAULT_MS,
    // Waiting callers block the fetching only when not pipelined.
    maxWaiters: pipelined ? Number.POSITIVE_INFINITY : concurrency,
    eagerWhenIdle: pipelined,
    async write(table, items, token) {
      const loaded = (await loadAvro(table, items, token)) ?? (await loadDecoded(table, items, `${token}:rows`));
      st.insertedRows[table] = (st.insertedRows[table] ?? 0) + loaded;
      st.lastFlushAt = Date.now();
      metrics.inserted.inc({ table }, loaded);
    },
  });

  /**
   * The fast path: the values go to ClickHouse as Avro container files and
   * it decodes them (analytics/avro-rows.ts). Returns null when this block
   * must take the slow path: no embedded engine, a writer schema the SQL
   * cannot read, or data ClickHouse refused (a corrupt value, a bad timestamp).
   */
  async function loadAvro(table: AnalyticsTable, items: Pending[], token: string): Promise<number | null> {
    const insertFiles = o.warehouse.insertFiles?.bind(o.warehouse);
    if (!insertFiles) return null;
    const groups = new Map<string, { topic: string; schemaId: number; container: AvroContainer }>();
    for (const it of items) {
      const key = `${it.topic}\0${it.schemaId}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { topic: it.topic, schemaId: it.schemaId, container: new AvroContainer() }));
      g.container.add(Number(it.message.offset), it.partition, avroBodyOf(it.message.value!));
    }
    let statement: { sql: string; params: Record<string, string> };
    const files: Buffer[] = [];
    try {
      const sources = [];
      for (const g of groups.values()) {
        const writer = (await writerSchema(g.schemaId)) as unknown as AvroRecord;
        sources.push({ writer, topic: g.topic });
        files.push(g.container.toBuffer(envelopeSchema(writer)));
      }
      statement = avroInsert(table, sources);
    } catch (err) {
      if (!(err instanceof UnsupportedSchema)) throw err;
      logger.info({ table, reason: err.message }, 'block takes the decoding path');
      return null;
    }
    try {
      await withClickHouse(() => insertFiles(statement.sql, statement.params, files, { token }), isDataError);
      return items.length;
    } catch (err) {
      if (!isDataError(err)) throw err;
      logger.warn({ table, rows: items.length, error: (err as Error).message.slice(0, 300) }, 'ClickHouse refused a block; decoding it record by record');
      return null;
    }
  }

  /** The slow path: decode every value here, dead-letter what cannot be loaded, insert the rest as rows. */
  async function loadDecoded(table: AnalyticsTable, items: Pending[], token: string): Promise<number> {
    const rows: object[] = [];
    const dead: DeadLetter[] = [];
    for (const { topic, partition, message } of items) {
      const d = await decode(message, table);
      if (!d.ok) {
        dead.push(deadLetterOf(message, { topic, partition }, d.code, d.reason, groupId));
        continue;
      }
      try {
        rows.push(toRow(table, d.value, { topic, partition, offset: Number(message.offset) }));
      } catch (err) {
        dead.push(deadLetterOf(message, { topic, partition }, 'invalid_record', `The record cannot be loaded: ${(err as Error).message}`, groupId));
      }
    }
    await sendDeadLetters(dead);
    await withClickHouse(() => o.warehouse.insert(table, rows, { token }));
    return rows.length;
  }

  async function sendDeadLetters(dead: DeadLetter[]): Promise<void> {
    if (dead.length === 0) return;
    // Encoding needs the dead-letter schema's id: the registry is waited for here too.
    const encoded = await Promise.all(dead.map(async (d) => ({ key: d.id, value: await retryUntilDone(() => o.registry.encode(topics.dlq, d), backoff, { signal: abort.signal, onRetry: registryFailed }) })));
    await retryUntilDone(() => producer.send({ topic: topics.dlq.name, messages: encoded }), backoff, { signal: abort.signal });
    st.deadLetters += dead.length;
    for (const d of dead) metrics.deadLetters.inc({ code: d.code });
    logger.warn({ topic: dead[0]!.sourceTopic, count: dead.length, reason: dead[0]!.reason }, 'dead-lettered records');
  }

  function registryFailed(err: Error, attempt: number, delay: number) {
    if (st.registry.up) st.registry = { up: false, since: Date.now(), lastError: null, failedAttempts: 0 };
    st.registry.lastError = err.message;
    st.registry.failedAttempts++;
    metrics.retries.inc();
    logger.warn({ attempt, delayMs: Math.round(delay), error: err.message }, 'schema registry unavailable, retrying');
    // A long outage must not cost the group its members: every waiting batch says it is alive.
    for (const beat of heartbeats) beat().catch(() => {});
  }
  /** Retries while the registry cannot be reached (isTransientDecodeError); any other failure is thrown at once. */
  async function withRegistry<T>(op: () => Promise<T>): Promise<T> {
    const out = await retryUntilDone(op, backoff, { signal: abort.signal, onRetry: registryFailed, retryable: isTransientDecodeError });
    if (!st.registry.up) {
      logger.info({ downMs: Date.now() - st.registry.since }, 'schema registry back');
      st.registry = { up: true, since: Date.now(), lastError: null, failedAttempts: 0 };
    }
    return out;
  }
  /** The heartbeats of the batches in progress (kafkajs beats only between batches). */
  const heartbeats = new Set<() => Promise<void>>();

  /** The writer schema of a schema id; registry outages are retried, an unknown id is permanent. */
  async function writerSchema(id: number): Promise<Record<string, unknown>> {
    return withRegistry(() => o.registry.schemaById(id));
  }

  /** The last offset of a partition already in ClickHouse (-1: none). */
  async function loadedUpTo(topic: string, partition: number): Promise<number> {
    const key = `${topic}/${partition}`;
    const known = highWater.get(key);
    if (known !== undefined) return known;
    const rows = await withClickHouse(() =>
      o.warehouse.query<{ m: string | null }>(
        'SELECT toString(max(max_offset)) AS m FROM sink_offsets WHERE topic = {topic:String} AND partition = {partition:UInt16} HAVING count() > 0',
        { topic, partition },
      ),
    );
    const hw = Math.max(rows[0]?.m == null ? -1 : Number(rows[0].m), handedOver.get(key) ?? -1);
    highWater.set(key, hw);
    return hw;
  }

  /**
   * Decodes one value. A registry that cannot be reached is waited for as long
   * as it takes (the one retry primitive; the partition pauses and lag grows),
   * never turned into a dead letter: only a value that can never be decoded is.
   */
  async function decode(m: KafkaMessage, table: AnalyticsTable): Promise<{ ok: true; value: unknown } | { ok: false; code: DeadLetterCode; reason: string }> {
    if (!m.value || m.value.length === 0) return { ok: false, code: 'undecodable', reason: 'The record has no value.' };
    const value = m.value;
    try {
      return { ok: true, value: await withRegistry(() => o.registry.decode(value, specOf(table))) };
    } catch (err) {
      if (err instanceof AbortedError) throw err;
      return { ok: false, code: 'undecodable', reason: `The value cannot be decoded with the registry: ${(err as Error).message}` };
    }
  }

  /**
   * Checks only what can be checked without decoding: the Confluent framing
   * and that the writer schema is the record type this topic carries. The
   * Avro body itself is read by ClickHouse, or by the slow path if it refuses.
   * Verdicts are kept per table and schema id: a record costs a map lookup.
   */
  type Admission = { ok: true; schemaId: number } | { ok: false; code: DeadLetterCode; reason: string };
  const verdicts = new Map<AnalyticsTable, Map<number, Admission>>();
  const NOT_FRAMED: Admission = {
    ok: false,
    code: 'undecodable',
    reason: 'The value cannot be decoded: it is not in the Confluent wire format (magic byte 0, 4-byte schema id, Avro body).',
  };

  async function judge(table: AnalyticsTable, schemaId: number): Promise<Admission> {
    let schema: Record<string, unknown>;
    try {
      schema = await writerSchema(schemaId);
    } catch (err) {
      // Not remembered: the id may be registered later (another registry replica catching up).
      if (err instanceof RegistryError) return { ok: false, code: 'undecodable', reason: `The value cannot be decoded with the registry: ${err.message}` };
      throw err;
    }
    const name = typeof schema.name === 'string' ? fullName(schema as { name: string; namespace?: string }) : String(schema.type);
    const verdict: Admission =
      name === recordOf(table) ? { ok: true, schemaId } : { ok: false, code: 'invalid_record', reason: `The value's schema is ${name}, but this topic carries ${recordOf(table)}.` };
    let perTable = verdicts.get(table);
    if (!perTable) verdicts.set(table, (perTable = new Map()));
    perTable.set(schemaId, verdict);
    return verdict;
  }

  async function eachBatch(payload: EachBatchPayload): Promise<void> {
    heartbeats.add(payload.heartbeat);
    try {
      await handleBatch(payload);
    } finally {
      heartbeats.delete(payload.heartbeat);
    }
  }

  async function handleBatch({ batch, resolveOffset, heartbeat }: EachBatchPayload): Promise<void> {
    const { topic, partition, messages } = batch;
    if (messages.length === 0) return;
    const table: AnalyticsTable | null = (o.tableOf ?? tableOf)(topic);
    const loaded = await loadedUpTo(topic, partition);
    const items: Pending[] = [];
    const dead: DeadLetter[] = [];
    let skipped = 0;
    for (const m of messages) {
      if (Number(m.offset) <= loaded) {
        skipped++;
        continue;
      }
      // A result repeated to a client that asked again (catalog REPEATED_RESULT_HEADER): the run is stored once.
      if (m.headers?.[REPEATED_RESULT_HEADER]) {
        st.repeatedResults++;
        continue;
      }
      if (!table) {
        dead.push(deadLetterOf(m, { topic, partition }, 'invalid_record', `The sink has no table for topic ${topic}.`, groupId));
        continue;
      }
      const schemaId = schemaIdOf(m.value);
      const a = schemaId === null ? NOT_FRAMED : (verdicts.get(table)?.get(schemaId) ?? (await judge(table, schemaId)));
      if (a.ok) items.push({ topic, partition, message: m, schemaId: a.schemaId });
      else dead.push(deadLetterOf(m, { topic, partition }, a.code, a.reason, groupId));
    }
    if (skipped) {
      st.skippedRedeliveries += skipped;
      metrics.skipped.inc({ topic }, skipped);
    }
    await sendDeadLetters(dead);
    const last = Number(messages[messages.length - 1]!.offset);
    const key = `${topic}/${partition}`;
    highWater.set(key, Math.max(loaded, last));
    handedOver.set(key, Math.max(handedOver.get(key) ?? -1, last));
    resolveOffset(String(last));
    const stored = items.length && table ? batcher.add(table, items, { topic, partition, first: Number(messages[0]!.offset), last }) : Promise.resolve();
    // Commits of a partition go in order: never past records of an earlier batch still being inserted.
    const before = lastCommit.get(key);
    const committed = (before ? Promise.all([before, stored]) : stored).then(() =>
      commits.commit(topic, partition, String(last + 1)).catch((err: Error) => {
        // A rebalance took the partition: its next owner skips what we loaded via sink_offsets.
        logger.warn({ topic, partition, error: err.message }, 'offset commit failed');
      }),
    );
    const tail = committed.catch(() => {});
    lastCommit.set(key, tail);
    void tail.then(() => lastCommit.get(key) === tail && lastCommit.delete(key));
    if (!pipelined || st.state !== 'running' || unsettled + items.length > 2 * flushRows) {
      const beat = setInterval(() => heartbeat().catch(() => {}), 2_000);
      try {
        await committed;
      } finally {
        clearInterval(beat);
      }
      return;
    }
    unsettled += items.length;
    const settled: Promise<void> = committed.then(
      () => {},
      (err: Error) => {
        if (!(err instanceof AbortedError)) logger.warn({ topic, partition, error: err.message }, 'insert failed; the records will be delivered again');
      },
    ).finally(() => {
      unsettled -= items.length;
      settling.delete(settled);
    });
    settling.add(settled);
  }

  async function refreshLag(): Promise<TopicLag[]> {
    const lag = lagSource ? await readLag(lagSource, groupId, topicNames, o.fromBeginning ?? false) : await groupLag(admin, groupId, topicNames, o.fromBeginning ?? false);
    st.lag = lag;
    st.totalLag = lag.reduce((a, l) => a + l.lag, 0);
    st.lagCheckedAt = Date.now();
    for (const l of lag) metrics.lag.set({ topic: l.topic }, l.lag);
    return lag;
  }

  return {
    metrics,
    async start() {
      await Promise.all([consumer.connect(), producer.connect(), admin.connect(), lagSource?.connect()]);
      // A partition the group never committed would be reset to its end on every restart, skipping
      // what was produced while the sink was down (o.fromBeginning reads history instead).
      if (!o.fromBeginning) await commitUncommittedEnds(admin, groupId, topicNames);
      consumer.on(consumer.events.GROUP_JOIN, () => {
        st.groupJoins++;
        highWater.clear();
      });
      await consumer.subscribe({ topics: topicNames, fromBeginning: o.fromBeginning ?? false });
      await runKeptAlive(consumer, { autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: concurrency, eachBatch }, {
        name: 'sink', logger, stopped: () => st.state === 'stopping' || st.state === 'stopped',
      });
      st.state = 'running';
      metrics.clickhouseUp.set(1);
      const tick = () => {
        metrics.buffered.set(batcher.bufferedRows);
        refreshLag().catch((err) => logger.warn({ error: (err as Error).message }, 'lag check failed'));
      };
      lagTimer = setInterval(tick, o.lagIntervalMs ?? 5_000);
      lagTimer.unref();
    },
    async stop() {
      if (st.state === 'stopped') return;
      st.state = 'stopping';
      if (lagTimer) clearInterval(lagTimer);
      // Flush first so waiting batches commit; if ClickHouse stays down, give up after a while:
      // uncommitted records are simply redelivered at the next start.
      const giveUp = setTimeout(() => abort.abort(), 15_000);
      try {
        // Batches arriving from now on wait for their own insert (state is no longer running).
        await batcher.flush();
        await Promise.all(settling);
        await consumer.stop();
        await batcher.flush();
        await consumer.disconnect();
      } catch (err) {
        if (!(err instanceof AbortedError)) logger.warn({ error: (err as Error).message }, 'sink stop failed');
      } finally {
        clearTimeout(giveUp);
        abort.abort();
        await Promise.allSettled([producer.disconnect(), admin.disconnect(), lagSource?.disconnect()]);
        st.state = 'stopped';
      }
    },
    status: () => ({ ...st, bufferedRows: batcher.bufferedRows, inFlightRows: unsettled, lag: [...st.lag], insertedRows: { ...st.insertedRows } }),
    refreshLag,
  };
}
