import type { Consumer } from 'kafkajs';
import type { Logger } from './ground/logger';

export const PERIODIC_COMMIT_MS = 1000;

/**
 * Commits a consumer's progress every `intervalMs` instead of after every batch.
 *
 * With `autoCommit` on, kafkajs commits at the end of every batch and fetches
 * again only when that commit is answered (its fetcher waits for the whole
 * batch to be handled): a gateway that had just taken a run's output waited
 * one OffsetCommit round trip before it could fetch the run's result, and the
 * broker wrote a commit for each. For a consumer whose commits only say where
 * to resume after a restart, a second of re-reading is cheaper than that.
 * Run the consumer with `autoCommit: false` and call `seen` for each message.
 */
export function createPeriodicCommits(consumer: Pick<Consumer, 'commitOffsets'>, logger: Pick<Logger, 'warn'>, intervalMs = PERIODIC_COMMIT_MS) {
  // topic|partition → the next offset to read there, not yet committed.
  const due = new Map<string, { topic: string; partition: number; offset: string }>();
  let timer: NodeJS.Timeout | undefined;

  async function flush() {
    if (!due.size) return;
    const offsets = [...due.values()];
    due.clear();
    try {
      await consumer.commitOffsets(offsets);
    } catch (err) {
      // A rebalance or a broker restart: the next tick commits again (newer offsets win).
      for (const o of offsets) {
        const key = `${o.topic}|${o.partition}`;
        if (!due.has(key)) due.set(key, o);
      }
      logger.warn({ err: (err as Error).message }, 'periodic offset commit failed; retried on the next tick');
    }
  }

  return {
    /** A message was handled: its successor is where a restart resumes. */
    seen(topic: string, partition: number, offset: string) {
      due.set(`${topic}|${partition}`, { topic, partition, offset: String(BigInt(offset) + 1n) });
    },
    start() {
      timer ??= setInterval(() => void flush(), intervalMs);
      timer.unref();
    },
    /** Stops the timer and commits what is due (before the consumer disconnects). */
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await flush();
    },
    flush,
  };
}
export type PeriodicCommits = ReturnType<typeof createPeriodicCommits>;
