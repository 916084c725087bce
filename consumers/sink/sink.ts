import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, Producer } from 'kafkajs';
import { HARDWARE_CLASSES, requestsTopic, topics } from '../../topics/catalog';
import type { Registry } from '../../topics/registry';
import { tableOf, toRow, type AnalyticsTable } from '../../analytics/rows';
import type { Warehouse } from '../../analytics/warehouse';
import { createBatcher } from './batcher';
import { deadLetterOf, isPermanentDecodeError, type DeadLetterCode } from './dead-letter';
import { groupLag, type TopicLag } from './lag';
import { createSinkMetrics, type SinkMetrics } from './metrics';
import { AbortedError, retryUntilDone, type Backoff } from './retry';

export const SINK_GROUP = 'conveyor-sink';

export function sinkTopics(): string[] {
  return [topics.results.name, ...HARDWARE_CLASSES.map((h) => requestsTopic(h).name), topics.edits.name];
}

export interface SinkOptions {
  kafka: Kafka;
  registry: Registry;
  warehouse: Warehouse;
  groupId?: string;
  topics?: string[];
  fromBeginning?: boolean;
  flushRows?: number;
  flushMs?: number;
  /** Partition batches handled at once; they share one insert. */
  concurrency?: number;
  backoff?: Backoff;
  lagIntervalMs?: number;
  metrics?: SinkMetrics;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

export interface SinkStatus {
  groupId: string;
  state: 'starting' | 'running' | 'stopping' | 'stopped';
  clickhouse: { up: boolean; since: number; lastError: string | null; failedAttempts: number };
  lag: TopicLag[];
  totalLag: number;
  lagCheckedAt: number | null;
  bufferedRows: number;
  insertedRows: Record<string, number>;
  skippedRedeliveries: number;
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
  const log = o.log ?? (() => {});
  const abort = new AbortController();
  const consumer: Consumer = o.kafka.consumer({
    groupId,
    sessionTimeout: 30_000,
    heartbeatInterval: 3_000,
    maxBytesPerPartition: 8 * 1024 * 1024,
    maxBytes: 64 * 1024 * 1024,
    maxWaitTimeInMs: 250,
  });
  const producer: Producer = o.kafka.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 });
  const admin = o.kafka.admin();
  const highWater = new Map<string, number>();
  let lagTimer: NodeJS.Timeout | null = null;

  const st: SinkStatus = {
    groupId,
    state: 'starting',
    clickhouse: { up: true, since: Date.now(), lastError: null, failedAttempts: 0 },
    lag: [],
    totalLag: 0,
    lagCheckedAt: null,
    bufferedRows: 0,
    insertedRows: {},
    skippedRedeliveries: 0,
    deadLetters: 0,
    lastFlushAt: null,
  };

  function clickhouseFailed(err: Error, attempt: number, delay: number) {
    if (st.clickhouse.up) st.clickhouse = { up: false, since: Date.now(), lastError: null, failedAttempts: 0 };
    st.clickhouse.lastError = err.message;
    st.clickhouse.failedAttempts++;
    metrics.clickhouseUp.set(0);
    metrics.retries.inc();
    log('clickhouse unavailable, retrying', { attempt, delayMs: Math.round(delay), error: err.message });
  }
  function clickhouseOk() {
    if (!st.clickhouse.up) {
      log('clickhouse back', { downMs: Date.now() - st.clickhouse.since });
      st.clickhouse = { up: true, since: Date.now(), lastError: null, failedAttempts: 0 };
    }
    metrics.clickhouseUp.set(1);
  }
  const withClickHouse = async <T>(op: () => Promise<T>): Promise<T> => {
    const out = await retryUntilDone(op, backoff, { signal: abort.signal, onRetry: clickhouseFailed });
    clickhouseOk();
    return out;
  };

  const batcher = createBatcher({
    flushRows: o.flushRows ?? 100_000,
    flushMs: o.flushMs ?? 1_000,
    maxWaiters: concurrency,
    async write(table, rows, token) {
      await withClickHouse(() => o.warehouse.insert(table, rows, { token }));
      st.insertedRows[table] = (st.insertedRows[table] ?? 0) + rows.length;
      st.lastFlushAt = Date.now();
      metrics.inserted.inc({ table }, rows.length);
    },
  });

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
    const hw = rows[0]?.m == null ? -1 : Number(rows[0].m);
    highWater.set(key, hw);
    return hw;
  }

  async function decode(m: KafkaMessage): Promise<{ ok: true; value: unknown } | { ok: false; code: DeadLetterCode; reason: string }> {
    if (!m.value || m.value.length === 0) return { ok: false, code: 'undecodable', reason: 'The record has no value.' };
    let transientFailures = 0;
    for (;;) {
      try {
        return { ok: true, value: await o.registry.decode(m.value) };
      } catch (err) {
        const message = (err as Error).message;
        if (isPermanentDecodeError(err) || ++transientFailures > 5) {
          return { ok: false, code: 'undecodable', reason: `The value cannot be decoded with the registry: ${message}` };
        }
        await new Promise((r) => setTimeout(r, 200 * transientFailures));
      }
    }
  }

  async function eachBatch({ batch, resolveOffset, heartbeat }: EachBatchPayload): Promise<void> {
    const { topic, partition, messages } = batch;
    if (messages.length === 0) return;
    const table: AnalyticsTable | null = tableOf(topic);
    const loaded = await loadedUpTo(topic, partition);
    const rows: object[] = [];
    const dead = [];
    let skipped = 0;
    for (const m of messages) {
      const offset = Number(m.offset);
      if (offset <= loaded) {
        skipped++;
        continue;
      }
      const d = await decode(m);
      if (!d.ok) {
        dead.push(deadLetterOf(m, { topic, partition }, d.code, d.reason, groupId));
        continue;
      }
      if (!table) {
        dead.push(deadLetterOf(m, { topic, partition }, 'invalid_record', `The sink has no table for topic ${topic}.`, groupId));
        continue;
      }
      try {
        rows.push(toRow(table, d.value, { topic, partition, offset }));
      } catch (err) {
        dead.push(deadLetterOf(m, { topic, partition }, 'invalid_record', `The record cannot be loaded: ${(err as Error).message}`, groupId));
      }
    }
    if (skipped) {
      st.skippedRedeliveries += skipped;
      metrics.skipped.inc({ topic }, skipped);
    }
    if (dead.length) {
      const encoded = await Promise.all(dead.map(async (d) => ({ key: d.id, value: await o.registry.encode(topics.dlq, d) })));
      await retryUntilDone(() => producer.send({ topic: topics.dlq.name, messages: encoded }), backoff, { signal: abort.signal });
      st.deadLetters += dead.length;
      for (const d of dead) metrics.deadLetters.inc({ code: d.code });
      log('dead-lettered records', { topic, partition, count: dead.length, reason: dead[0]!.reason });
    }
    const last = messages[messages.length - 1]!.offset;
    if (rows.length && table) {
      const first = Number(messages[0]!.offset);
      const beat = setInterval(() => heartbeat().catch(() => {}), 2_000);
      try {
        await batcher.add(table, rows, { topic, partition, first, last: Number(last) });
      } finally {
        clearInterval(beat);
      }
    }
    highWater.set(`${topic}/${partition}`, Math.max(loaded, Number(last)));
    resolveOffset(last);
    try {
      await consumer.commitOffsets([{ topic, partition, offset: String(Number(last) + 1) }]);
    } catch (err) {
      // A rebalance took the partition: its next owner skips what we loaded via sink_offsets.
      log('offset commit failed', { topic, partition, error: (err as Error).message });
    }
  }

  async function refreshLag(): Promise<TopicLag[]> {
    const lag = await groupLag(admin, groupId, topicNames, o.fromBeginning ?? false);
    st.lag = lag;
    st.totalLag = lag.reduce((a, l) => a + l.lag, 0);
    st.lagCheckedAt = Date.now();
    for (const l of lag) metrics.lag.set({ topic: l.topic }, l.lag);
    return lag;
  }

  return {
    metrics,
    async start() {
      await Promise.all([consumer.connect(), producer.connect(), admin.connect()]);
      consumer.on(consumer.events.GROUP_JOIN, () => highWater.clear());
      await consumer.subscribe({ topics: topicNames, fromBeginning: o.fromBeginning ?? false });
      await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: concurrency, eachBatch });
      st.state = 'running';
      metrics.clickhouseUp.set(1);
      const tick = () => {
        metrics.buffered.set(batcher.bufferedRows);
        refreshLag().catch((err) => log('lag check failed', { error: (err as Error).message }));
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
        await batcher.flush();
        await consumer.stop();
        await consumer.disconnect();
      } catch (err) {
        if (!(err instanceof AbortedError)) log('sink stop failed', { error: (err as Error).message });
      } finally {
        clearTimeout(giveUp);
        abort.abort();
        await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
        st.state = 'stopped';
      }
    },
    status: () => ({ ...st, bufferedRows: batcher.bufferedRows, lag: [...st.lag], insertedRows: { ...st.insertedRows } }),
    refreshLag,
  };
}
