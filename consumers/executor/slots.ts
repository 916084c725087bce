import type { QueuedRun, RunQueue } from './scheduler/types';

/**
 * Bounded concurrency: at most `concurrency` runs hold a slot; the others wait
 * in the run queue, which decides who gets the next free slot.
 */
export function createSlots<T extends QueuedRun>(o: { concurrency: number; queue: RunQueue<T>; now?: () => number }) {
  const now = o.now ?? Date.now;
  const waiting = new Map<string, () => void>();
  let active = 0;

  function fill() {
    while (active < o.concurrency) {
      const next = o.queue.take(now());
      if (!next) return;
      active++;
      const grant = waiting.get(next.runId);
      waiting.delete(next.runId);
      grant?.();
    }
  }

  return {
    /** Resolves when the run holds a slot; release(runId) gives it back. */
    acquire(run: T): Promise<void> {
      return new Promise<void>((resolve) => {
        waiting.set(run.runId, resolve);
        o.queue.push(run);
        fill();
      });
    },
    release(runId: string) {
      active--;
      o.queue.done?.(runId, now());
      fill();
    },
    get active() {
      return active;
    },
    get queued() {
      return o.queue.size;
    },
  };
}
export type Slots<T extends QueuedRun> = ReturnType<typeof createSlots<T>>;
