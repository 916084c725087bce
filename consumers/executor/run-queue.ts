import type { QueuedRun, RunQueue } from './scheduler/types';

/**
 * The queue of runs whose text is ready and that wait for a slot. The contract
 * (QueuedRun, RunQueue) is the scheduler's (scheduler/types.ts), so the slots
 * take Conveyor's scheduler or this plain FIFO alike.
 */
export type { QueuedRun, RunQueue };

/** First come, first served and nothing else: the order the slots had before schedulers. */
export function createFifoRunQueue<T extends QueuedRun>(): RunQueue<T> {
  const items: T[] = [];
  return {
    push: (item) => void items.push(item),
    take: () => items.shift(),
    remove(runId) {
      const i = items.findIndex((x) => x.runId === runId);
      return i < 0 ? undefined : items.splice(i, 1)[0];
    },
    get size() {
      return items.length;
    },
  };
}
