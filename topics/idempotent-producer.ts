import type { Kafka, Producer, ProducerConfig } from 'kafkajs';
import { DefaultPartitioner } from './partitioner';

/**
 * kafkajs 2.2.4's idempotent producer numbers each partition's records (its
 * sequence) and, when a produce request fails, takes the numbers back
 * (producer/sendMessages.js) so that its own retry resends them under the
 * same ones. That is right while the retry is the same batch; it is not once
 * the retries run out, nor when another send runs in between: a failure whose
 * outcome is unknown (a leader killed with the batch on its followers) may
 * have been written, and the next, different batch of as many records then
 * goes out under the written one's numbers, so the broker takes it for a
 * duplicate, acknowledges it and drops it. A run accepted that way was lost
 * (docs/decisions/chaos-suite.md, "the lost run").
 *
 * This producer is kafkajs's with two rules around every send (what Kafka's
 * own client does since KIP-360, and librdkafka with an epoch bump): sends go
 * out one at a time, so none takes numbers a failed one gave back while that
 * one still retries; and after a send fails, the next one goes out on a new
 * kafkajs producer, that is under a new producer id whose sequences start
 * again at 0. The failed batch is then either in the log once or not at all,
 * and whatever its caller sends again is never mistaken for it (at least once,
 * never lost). kafkajs exposes no way to renew the producer id of a producer
 * it made, hence a new one; the old one is disconnected behind it.
 */
export function guardIdempotence(make: () => Producer): Producer {
  let current = make();
  let connected = false;
  /** connect() was called and disconnect() was not: a send may connect a new producer. */
  let wanted = false;
  let tail: Promise<unknown> = Promise.resolve();
  type Listener = { event: Parameters<Producer['on']>[0]; listener: Parameters<Producer['on']>[1]; remove: () => void };
  const listeners: Listener[] = [];

  /** Runs ops one after the other, whatever the one before did. */
  function serially<T>(op: () => Promise<T>): Promise<T> {
    const run = tail.then(op, op);
    tail = run.catch(() => undefined);
    return run;
  }

  function replace(why: string): void {
    const old = current;
    current = make();
    connected = false;
    for (const l of listeners) l.remove = current.on(l.event, l.listener);
    old.logger().error(`Producer replaced (a new producer id) after ${why}`, {});
    void old.disconnect().catch(() => undefined);
  }

  async function connectNow(): Promise<void> {
    if (connected || !wanted) return;
    try {
      await current.connect();
      connected = true;
    } catch (err) {
      // Half connected (no producer id, say): start over from a fresh one next time.
      replace(`a failed connect: ${(err as Error).message}`);
      throw err;
    }
  }

  function guarded<A, R>(op: (p: Producer, a: A) => Promise<R>): (a: A) => Promise<R> {
    return (a) =>
      serially(async () => {
        await connectNow();
        try {
          return await op(current, a);
        } catch (err) {
          if (wanted) replace(`a failed send: ${(err as Error).message}`);
          throw err;
        }
      });
  }

  return {
    connect: () => {
      wanted = true;
      return serially(connectNow);
    },
    disconnect: async () => {
      wanted = false;
      connected = false;
      await current.disconnect();
    },
    send: guarded((p, record: Parameters<Producer['send']>[0]) => p.send(record)),
    sendBatch: guarded((p, batch: Parameters<Producer['sendBatch']>[0]) => p.sendBatch(batch)),
    isIdempotent: () => current.isIdempotent(),
    events: current.events,
    // A listener follows the producer to its replacements.
    on: (event, listener) => {
      const l: Listener = { event, listener, remove: current.on(event, listener) };
      listeners.push(l);
      return () => {
        const at = listeners.indexOf(l);
        if (at < 0) return;
        listeners.splice(at, 1);
        l.remove();
      };
    },
    transaction: () => current.transaction(),
    logger: () => current.logger(),
  };
}

/**
 * The settings every Conveyor producer has: idempotent, one request in flight, no topic made by accident,
 * and kafkajs's key-to-partition mapping without its BigInt hashing (partitioner.ts).
 */
export const IDEMPOTENT_PRODUCER: ProducerConfig = { allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1, createPartitioner: DefaultPartitioner };

/** An idempotent kafkajs producer under guardIdempotence (not yet connected). */
export const idempotentProducer = (kafka: Kafka, config: ProducerConfig = {}): Producer => guardIdempotence(() => kafka.producer({ ...IDEMPOTENT_PRODUCER, ...config }));
