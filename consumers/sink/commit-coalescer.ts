import type { Consumer } from 'kafkajs';

export interface OffsetCommit { topic: string; partition: number; offset: string }

/**
 * One insert stores the batches of many partitions, and their commits fall due
 * together: gathered until the event loop's next turn (setImmediate), they go
 * as one OffsetCommit request instead of one per partition (the broker pays
 * about a millisecond of CPU per request). A partition asked for twice in one
 * turn commits the higher offset. Every caller's promise settles when the
 * shared commit has: resolved when it was stored, rejected with its error when
 * it was refused (a rebalance took the generation).
 */
export function createCommitCoalescer(consumer: Pick<Consumer, 'commitOffsets'>) {
  let due = new Map<string, OffsetCommit>();
  let waiting: { resolve: () => void; reject: (e: Error) => void }[] = [];
  let scheduled = false;

  async function flush() {
    scheduled = false;
    const offsets = [...due.values()];
    const callers = waiting;
    due = new Map();
    waiting = [];
    try {
      await consumer.commitOffsets(offsets);
      for (const c of callers) c.resolve();
    } catch (err) {
      for (const c of callers) c.reject(err as Error);
    }
  }

  return {
    /** Commits `offset` (the next one to read) of a partition, with whatever else falls due in this turn. */
    commit(topic: string, partition: number, offset: string): Promise<void> {
      const key = `${topic}\0${partition}`;
      const before = due.get(key);
      if (!before || BigInt(offset) > BigInt(before.offset)) due.set(key, { topic, partition, offset });
      return new Promise<void>((resolve, reject) => {
        waiting.push({ resolve, reject });
        if (!scheduled) {
          scheduled = true;
          setImmediate(() => void flush());
        }
      });
    },
  };
}
export type CommitCoalescer = ReturnType<typeof createCommitCoalescer>;
