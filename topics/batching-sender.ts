import type { CompressionTypes, IHeaders } from 'kafkajs';
import type { TopicSpec } from './catalog';
import { batchBudget, checkRecordSize, type OutgoingRecord, type TypedProducer } from './codec';
import type { Registry } from './registry';

/**
 * Coalesces sends into one produce request (all topics together): those issued
 * in the same turn of the event loop, and everything that arrives while the
 * previous batch is on the wire. A burst of edits from many sessions costs one
 * round trip instead of one each, while a lone edit waits for nothing.
 * Each caller's promise settles when its own records are acknowledged.
 * A request carries at most one batch budget per topic (catalog maxRecordBytes),
 * so no partition's batch outgrows what its topic accepts; the rest waits for
 * the next request. A record too large for its topic is refused at once.
 */
export function createBatchingSender(producer: TypedProducer, registry: Registry, opts: { maxBatch?: number; compression?: CompressionTypes } = {}) {
  const maxBatch = opts.maxBatch ?? 2000;
  type Message = { key: string; value: Buffer; partition?: number; headers?: IHeaders };
  type Pending = { topic: string; budget: number; bytes: number; messages: Message[]; resolve: () => void; reject: (e: unknown) => void };
  let queue: Pending[] = [];
  let queuedMessages = 0;
  let scheduled = false;
  let inFlight = 0;

  async function flush() {
    scheduled = false;
    // Take callers in order while every topic stays within its budget (at least one caller per request).
    const used = new Map<string, number>();
    let take = 0;
    for (; take < queue.length; take++) {
      const p = queue[take]!;
      const after = (used.get(p.topic) ?? 0) + p.bytes;
      if (take > 0 && after > p.budget) break;
      used.set(p.topic, after);
    }
    const batch = queue.slice(0, take);
    queue = queue.slice(take);
    queuedMessages = queue.reduce((n, p) => n + p.messages.length, 0);
    if (!batch.length) return;
    const byTopic = new Map<string, Message[]>();
    for (const p of batch) {
      const list = byTopic.get(p.topic);
      if (list) list.push(...p.messages);
      else byTopic.set(p.topic, [...p.messages]);
    }
    inFlight++;
    try {
      await producer.raw.sendBatch({ acks: -1, compression: opts.compression, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
      for (const p of batch) p.resolve();
    } catch (err) {
      for (const p of batch) p.reject(err);
    } finally {
      inFlight--;
      // What arrived while this batch was on the wire goes out now, as one request.
      if (queue.length) schedule();
    }
  }

  function schedule() {
    if (scheduled) return;
    // One batch on the wire at a time: under load, batches grow instead of queueing as many small requests.
    if (inFlight > 0 && queuedMessages < maxBatch) return;
    scheduled = true;
    setImmediate(() => void flush());
  }

  return {
    /** Sends several topics' records together; they are acknowledged as one. */
    async send(parts: { spec: TopicSpec<any>; records: OutgoingRecord<any>[] }[]): Promise<void> {
      const encoded = await Promise.all(
        parts.map(async (p) => ({
          topic: p.spec.name,
          messages: await Promise.all(p.records.map(async (r) => ({ key: r.key, value: await registry.encode(p.spec, r.value), partition: r.partition, headers: r.headers }))),
        })),
      );
      const sized = encoded.map((e, i) => ({ ...e, budget: batchBudget(parts[i]!.spec), bytes: e.messages.reduce((n, m) => n + checkRecordSize(parts[i]!.spec, m), 0) }));
      await new Promise<void>((resolve, reject) => {
        // Keep the order of a caller's parts: they enter the queue together.
        sized.forEach((e, i) => {
          queue.push({ ...e, resolve: i === encoded.length - 1 ? resolve : () => {}, reject });
          queuedMessages += e.messages.length;
        });
        schedule();
      });
    },
    pending: () => queue.length + inFlight,
  };
}
export type BatchingSender = ReturnType<typeof createBatchingSender>;
