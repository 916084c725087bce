import { randomUUID } from 'node:crypto';
import type { Kafka, KafkaMessage } from 'kafkajs';
import { CONSUMER_FETCH_LIMITS } from '../../topics/catalog';

/** A half-open range of offsets [from, to) of one partition of one topic. */
export interface OffsetRange { topic: string; partition: number; from: number; to: number }

export class ReplayTimeoutError extends Error {
  readonly code = 'replay_timeout';
}

/**
 * Reads chosen offset ranges of some topics with one throwaway consumer.
 * kafkajs has no manual assignment, so a consumer group of one member takes
 * every partition, keeps them all paused, and for each read seeks and resumes
 * exactly the partitions asked for. One group join serves every read, so a
 * search that reads windows one after another pays the join once.
 *
 * `keep(key)` filters by record key before the caller decodes anything: a
 * session's history is its key's records, and most records are someone else's.
 */
export interface RangeReader {
  /**
   * Reads the ranges; with `signal`, an abort ends every range where it stands
   * (the record being handled finishes first) and the answer says `cancelled`.
   */
  read(ranges: OffsetRange[], onMessage: (m: KafkaMessage, r: OffsetRange) => void | Promise<void>, opts?: { timeoutMs?: number; keep?: (key: Buffer | null) => boolean; idleMs?: number; signal?: AbortSignal }): Promise<{ records: number; kept: number; cancelled: boolean }>;
  close(): Promise<void>;
}

export async function createRangeReader(kafka: Kafka, topicNames: string[], opts: { groupPrefix?: string } = {}): Promise<RangeReader> {
  const consumer = kafka.consumer({
    ...CONSUMER_FETCH_LIMITS,
    groupId: `${opts.groupPrefix ?? 'conveyor-replay'}-${randomUUID()}`,
    maxWaitTimeInMs: 50,
    sessionTimeout: 10000,
    retry: { retries: 3 },
  });
  interface Active { range: OffsetRange; next: number; resolve: () => void; seenAt: number }
  let active = new Map<string, Active>();
  let onMessage: (m: KafkaMessage, r: OffsetRange) => void | Promise<void> = () => {};
  let keep: (key: Buffer | null) => boolean = () => true;
  let records = 0;
  let kept = 0;
  let lastBeat = Date.now();
  let crashed: Error | null = null;
  const all: { topic: string; partitions: number[] }[] = [];

  await consumer.connect();
  const admin = kafka.admin();
  await admin.connect();
  try {
    const meta = await admin.fetchTopicMetadata({ topics: topicNames });
    for (const t of meta.topics) all.push({ topic: t.name, partitions: t.partitions.map((p) => p.partitionId) });
  } finally {
    await admin.disconnect();
  }
  await consumer.subscribe({ topics: topicNames, fromBeginning: true });
  const joined = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new ReplayTimeoutError('The replay reader could not join the broker within 15 s.')), 15000);
    consumer.on(consumer.events.GROUP_JOIN, () => {
      consumer.pause(all.map((t) => ({ topic: t.topic, partitions: t.partitions })));
      // A re-join (the member missed its session timeout on a loaded machine) resets positions: the ranges being read go on where they were.
      for (const a of active.values()) {
        consumer.seek({ topic: a.range.topic, partition: a.range.partition, offset: String(a.next) });
        consumer.resume([{ topic: a.range.topic, partitions: [a.range.partition] }]);
      }
      clearTimeout(timer);
      resolve();
    });
  });
  consumer.on(consumer.events.CRASH, (e) => {
    crashed = e.payload.error;
  });
  const keyOf = (topic: string, partition: number) => `${topic}\u0000${partition}`;
  const finish = (k: string, a: Active) => {
    active.delete(k);
    consumer.pause([{ topic: a.range.topic, partitions: [a.range.partition] }]);
    a.resolve();
  };
  const running = consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
      const k = keyOf(batch.topic, batch.partition);
      const a = active.get(k);
      if (!a) return;
      // The next fetch starts after the last resolved offset: without this, every fetch
      // returns the first batch again and a range longer than one fetch
      // (maxBytesPerPartition) ends by idleness or time-out, its tail unread.
      if (batch.messages.length) resolveOffset(batch.lastOffset());
      for (const m of batch.messages) {
        // Ended meanwhile (cancelled, timed out): the rest of the batch is not handed on.
        if (active.get(k) !== a) return;
        const off = Number(m.offset);
        // Batches fetched before the seek may still arrive: only offsets in order from the range's start count.
        if (off < a.next || off >= a.range.to) continue;
        a.next = off + 1;
        a.seenAt = Date.now();
        // A batch of a large fetch (or a rate-limited handler) can take longer than the session timeout to go through.
        records++;
        if (Date.now() - lastBeat > 2000) {
          lastBeat = Date.now();
          await heartbeat();
        }
        if (keep(m.key)) {
          kept++;
          await onMessage(m, a.range);
        }
      }
      // Compaction (programs.snapshots) removes offsets, also the last ones: reaching the high watermark ends the range too.
      const reached = Math.min(a.range.to, Number(batch.highWatermark));
      if (a.next >= a.range.to || (Number(batch.lastOffset()) + 1 >= reached && Number(batch.firstOffset()) <= a.next)) finish(k, a);
    },
  });
  // run() resolves once the member runs; a disconnect before that would leave kafkajs restarting it.
  await running;
  await joined;

  return {
    async read(ranges, handler, o = {}) {
      if (crashed) throw crashed;
      if (o.signal?.aborted) return { records: 0, kept: 0, cancelled: true };
      records = 0;
      kept = 0;
      onMessage = handler;
      keep = o.keep ?? (() => true);
      const todo = ranges.filter((r) => r.to > r.from);
      if (!todo.length) return { records: 0, kept: 0, cancelled: false };
      const waits: Promise<void>[] = [];
      active = new Map();
      for (const r of todo) {
        waits.push(new Promise<void>((resolve) => active.set(keyOf(r.topic, r.partition), { range: r, next: r.from, resolve, seenAt: Date.now() })));
      }
      for (const r of todo) consumer.seek({ topic: r.topic, partition: r.partition, offset: String(r.from) });
      consumer.resume(todo.map((r) => ({ topic: r.topic, partitions: [r.partition] })));
      const timeoutMs = o.timeoutMs ?? 30000;
      let timer: NodeJS.Timeout | undefined;
      let cancelled = false;
      const onAbort = () => {
        cancelled = true;
        for (const [k, a] of active) finish(k, a);
      };
      o.signal?.addEventListener('abort', onAbort, { once: true });
      // A compacted partition whose last batches were removed entirely sends nothing more: idleMs ends such a range.
      const idle = o.idleMs ? setInterval(() => {
        // Before its first record a range waits longer: a loaded broker may take seconds to answer the first fetch.
        for (const [k, a] of active) if (Date.now() - a.seenAt > (a.next > a.range.from ? o.idleMs! : o.idleMs! * 5)) finish(k, a);
      }, Math.min(500, o.idleMs)) : undefined;
      try {
        await Promise.race([
          Promise.all(waits),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => {
              // Which ranges stood still and where: the first thing to know when a read times out.
              const where = [...active.values()].slice(0, 3).map((a) => `${a.range.topic}[${a.range.partition}] at ${a.next} of ${a.range.from}..${a.range.to}`).join(', ');
              reject(crashed ?? new ReplayTimeoutError(`Reading ${todo.length} offset range(s) did not finish within ${timeoutMs} ms (${active.size} unfinished: ${where}).`));
            }, timeoutMs);
          }),
        ]);
      } finally {
        clearTimeout(timer);
        if (idle) clearInterval(idle);
        o.signal?.removeEventListener('abort', onAbort);
        for (const [k, a] of active) finish(k, a);
      }
      return { records, kept, cancelled };
    },
    close: () => consumer.disconnect(),
  };
}
