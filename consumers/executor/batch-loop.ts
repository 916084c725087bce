import type { EachBatchPayload, KafkaMessage } from 'kafkajs';

/** Handles one record; returns a promise only when it has to wait (a restore, a new schema, a run request). */
export type RecordHandler = (topic: string, partition: number, m: KafkaMessage, heartbeat: () => Promise<void>) => Promise<void> | void;

/**
 * The executor's records, a fetched batch at a time, with kafkajs's eachMessage
 * semantics (in order; stop at a rebalance, a seek or a pause; an offset counts
 * as consumed once its handler settled) but without its cost per record: its
 * runner awaits the handler, resolves the offset (BigInt arithmetic), checks
 * for a seek and awaits a heartbeat for every record. Edits are most of the
 * records and almost all are applied synchronously, so on `perBatch` topics a
 * record is only awaited when its handler returns a promise, the batch is
 * checked again only after such a wait (nothing can seek or stop it in between),
 * and its offset is resolved and the heartbeat sent once per batch. Other topics
 * (run requests, controls) keep a resolve and heartbeat per record.
 */
export function createBatchLoop(o: { handle: RecordHandler; perBatch: ReadonlySet<string>; paused: (topic: string, partition: number) => boolean }) {
  return async ({ batch, resolveOffset, heartbeat, isRunning, isStale }: Pick<EachBatchPayload, 'batch' | 'resolveOffset' | 'heartbeat' | 'isRunning' | 'isStale'>): Promise<void> => {
    const { topic, partition } = batch;
    if (o.perBatch.has(topic)) {
      let done: string | undefined;
      let check = true;
      try {
        for (const m of batch.messages) {
          if (check && (!isRunning() || isStale())) break;
          check = false;
          const wait = o.handle(topic, partition, m, heartbeat);
          if (wait) {
            await wait;
            check = true;
          }
          done = m.offset;
        }
      } finally {
        // Also when a handler threw: what was handled before it counts, as with eachMessage.
        if (done !== undefined) resolveOffset(done);
      }
      await heartbeat();
      return;
    }
    for (const m of batch.messages) {
      if (!isRunning() || isStale()) break;
      await o.handle(topic, partition, m, heartbeat);
      resolveOffset(m.offset);
      await heartbeat();
      if (o.paused(topic, partition)) break;
    }
  };
}
