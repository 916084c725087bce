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
 * Records are encoded synchronously once their topic's encoder is known
 * (registry.encoderNow): a send costs one promise, not one per record.
 *
 * With `side` (a second producer connection's sendBatch), a caller with a
 * record that may not wait (a run request, a result) does not wait for the
 * batch on the wire to be acknowledged: it goes out at once beside it, as long
 * as none of its topics is on the wire on either connection or queued ahead of
 * it, so each topic's records still reach the broker in the order they were sent.
 */
export type SendBatch = TypedProducer['raw']['sendBatch'];

export function createBatchingSender(producer: TypedProducer, registry: Registry, opts: { maxBatch?: number; compression?: CompressionTypes; side?: SendBatch } = {}) {
  const maxBatch = opts.maxBatch ?? 2000;
  type Message = { key: string; value: Buffer; partition?: number; headers?: IHeaders };
  /** One topic's part of a caller's send; a caller's parts are queued next to each other. */
  type Pending = { caller: number; parts: number; topic: string; budget: number; bytes: number; linger: number; messages: Message[]; resolve: (() => void) | null; reject: (e: unknown) => void };
  let callers = 0;
  let queue: Pending[] = [];
  let queuedMessages = 0;
  /** Queued callers with a topic that never lingers: while there is one, the queue goes out at once. */
  let urgent = 0;
  let scheduled = false;
  /** The timer of a lingering flush (scheduled is true meanwhile). */
  let lingering: NodeJS.Timeout | null = null;
  let inFlight = 0;
  /** When the last request was acknowledged (performance.now()). */
  let doneAt = -Infinity;
  /**
   * Lingering records that, once queued, end the wait at once: those queued
   * when the last request was acknowledged plus as many as it carried. An
   * editor keeps one edit in flight, so the acknowledged sessions' next edits
   * are what the wait is for; when they are all back, waiting longer buys nothing.
   */
  let enough = 0;
  let queuedLingering = 0;
  /** Topics on the wire on the main connection, and on the side one (at most one side request at a time). */
  const mainTopics = new Map<string, number>();
  let sideTopics = new Set<string>();
  let sideInFlight = 0;

  /** Takes the batch's entries out of the queue's accounting and groups their messages by topic. */
  function take(batch: Pending[]): { topic: string; messages: Message[] }[] {
    const byTopic = new Map<string, Message[]>();
    for (const p of batch) {
      queuedMessages -= p.messages.length;
      if (!p.linger) urgent--;
      else queuedLingering -= p.messages.length;
      const list = byTopic.get(p.topic);
      if (!list) byTopic.set(p.topic, p.messages.length === 1 ? [p.messages[0]!] : [...p.messages]);
      else for (const m of p.messages) list.push(m);
    }
    const topicMessages: { topic: string; messages: Message[] }[] = [];
    for (const [topic, messages] of byTopic) topicMessages.push({ topic, messages });
    return topicMessages;
  }

  async function flush() {
    scheduled = false;
    lingering = null;
    // Take callers in order while every topic stays within its budget (at least one caller per request),
    // stopping at a topic the side connection has on the wire.
    const used = new Map<string, number>();
    let n = 0;
    for (; n < queue.length; n++) {
      const p = queue[n]!;
      if (sideTopics.has(p.topic)) break;
      const after = (used.get(p.topic) ?? 0) + p.bytes;
      if (n > 0 && after > p.budget) break;
      used.set(p.topic, after);
    }
    // Nothing can go: the side request's ack schedules the next one.
    if (!n) return;
    const batch = n === queue.length ? queue : queue.slice(0, n);
    queue = n === queue.length ? [] : queue.slice(n);
    const topicMessages = take(batch);
    const sent = [...used.keys()];
    for (const t of sent) mainTopics.set(t, (mainTopics.get(t) ?? 0) + 1);
    inFlight++;
    try {
      await producer.raw.sendBatch({ acks: -1, compression: opts.compression, topicMessages });
      let sentLingering = 0;
      for (const p of batch) if (p.linger) sentLingering += p.messages.length;
      enough = queuedLingering + sentLingering;
      for (const p of batch) p.resolve?.();
    } catch (err) {
      for (const p of batch) p.reject(err);
    } finally {
      inFlight--;
      for (const t of sent) {
        const left = mainTopics.get(t)! - 1;
        if (left) mainTopics.set(t, left);
        else mainTopics.delete(t);
      }
      doneAt = performance.now();
      // What arrived while this batch was on the wire goes out now, as one request.
      if (queue.length) schedule();
    }
  }

  /**
   * While the main connection has a batch on the wire: the whole callers with a
   * record that may not wait whose topics are neither on the wire nor queued
   * ahead of them, within each topic's budget, go out on the side connection.
   */
  async function flushSide(side: SendBatch) {
    const ahead = new Set<string>();
    const used = new Map<string, number>();
    const batch: Pending[] = [];
    const rest: Pending[] = [];
    for (let i = 0; i < queue.length; ) {
      const first = queue[i]!;
      let end = i;
      while (end < queue.length && queue[end]!.caller === first.caller) end++;
      const parts = queue.slice(i, end);
      i = end;
      // A caller whose first parts went out in a main request stays behind them.
      const whole = parts.length === first.parts;
      const goes = whole && parts.some((p) => !p.linger) && parts.every((p) => !mainTopics.has(p.topic) && !ahead.has(p.topic) && (used.get(p.topic) ?? 0) + p.bytes <= p.budget);
      if (goes) {
        for (const p of parts) used.set(p.topic, (used.get(p.topic) ?? 0) + p.bytes);
        batch.push(...parts);
      } else {
        for (const p of parts) ahead.add(p.topic);
        rest.push(...parts);
      }
    }
    if (!batch.length) return;
    queue = rest;
    const topicMessages = take(batch);
    sideTopics = new Set(used.keys());
    sideInFlight++;
    try {
      await side({ acks: -1, compression: opts.compression, topicMessages });
      for (const p of batch) p.resolve?.();
    } catch (err) {
      for (const p of batch) p.reject(err);
    } finally {
      sideInFlight--;
      sideTopics = new Set();
      if (queue.length) schedule();
    }
  }

  function schedule() {
    const now = urgent > 0 || queuedMessages >= maxBatch || queuedLingering >= enough;
    if (lingering && now) {
      // A record that may not wait (a run request, a result) takes the lingering ones with it now; so does a full wait.
      clearTimeout(lingering);
      lingering = null;
      scheduled = false;
    }
    if (scheduled) return;
    // One batch on the wire at a time: under load, batches grow instead of queueing as many small requests.
    if (inFlight > 0 && queuedMessages < maxBatch) {
      if (urgent > 0 && opts.side && !sideInFlight) void flushSide(opts.side);
      return;
    }
    scheduled = true;
    // Lingering topics wait a little after the previous request's ack, for the records its acks bring back.
    const wait = now ? 0 : doneAt + lingerOf(queue) - performance.now();
    if (wait >= 1) lingering = setTimeout(() => void flush(), wait);
    else setImmediate(() => void flush());
  }

  /** The shortest linger among queued callers (none queued is urgent when this is asked). */
  function lingerOf(q: Pending[]): number {
    let ms = Infinity;
    for (const p of q) if (p.linger < ms) ms = p.linger;
    return ms === Infinity ? 0 : ms;
  }

  type Part = { spec: TopicSpec<any>; records: OutgoingRecord<any>[] };

  /** Encodes and sizes every part (throwing for a record too large), then queues them together. */
  function enqueue(parts: Part[], encoders: ((value: unknown) => Buffer)[]): Promise<void> {
    const pending: Pending[] = [];
    for (let i = 0; i < parts.length; i++) {
      const { spec, records } = parts[i]!;
      const encode = encoders[i]!;
      const messages: Message[] = [];
      let bytes = 0;
      for (const r of records) {
        const m: Message = { key: r.key, value: r.encoded ?? encode(r.value), partition: r.partition, headers: r.headers };
        bytes += checkRecordSize(spec, m);
        messages.push(m);
      }
      pending.push({ caller: 0, parts: 0, topic: spec.name, budget: batchBudget(spec), bytes, linger: spec.produceLingerMs ?? 0, messages, resolve: null, reject: () => {} });
    }
    const caller = ++callers;
    for (const p of pending) {
      p.caller = caller;
      p.parts = pending.length;
    }
    return new Promise<void>((resolve, reject) => {
      // Keep the order of a caller's parts: they enter the queue together; the last one's ack settles the call.
      for (let i = 0; i < pending.length; i++) {
        const p = pending[i]!;
        if (i === pending.length - 1) p.resolve = resolve;
        p.reject = reject;
        queue.push(p);
        queuedMessages += p.messages.length;
        if (!p.linger) urgent++;
        else queuedLingering += p.messages.length;
      }
      schedule();
    });
  }

  return {
    /** Sends several topics' records together; they are acknowledged as one. */
    send(parts: Part[]): Promise<void> {
      const ready: ((value: unknown) => Buffer)[] = [];
      for (const p of parts) {
        const e = registry.encoderNow(p.spec);
        if (!e) {
          // A topic's first send (or a fake registry): its encoder is looked up once.
          return Promise.all(parts.map((q) => registry.encoder(q.spec))).then((encoders) => enqueue(parts, encoders));
        }
        ready.push(e);
      }
      try {
        return enqueue(parts, ready);
      } catch (err) {
        return Promise.reject(err);
      }
    },
    pending: () => queue.length + inFlight + sideInFlight,
  };
}
export type BatchingSender = ReturnType<typeof createBatchingSender>;
