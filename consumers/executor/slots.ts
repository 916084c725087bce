import type { QueuedRun, RunQueue } from './scheduler/types';

/**
 * Bounded concurrency: at most `concurrency` runs hold a slot; the others wait
 * in the run queue, which decides who gets the next free slot. While every
 * slot is busy, up to `express.slots` more runs whose learned cost is at most
 * `express.maxCostMs` start at once (docs/decisions/scheduling-policy.md): a
 * hello world does not wait seconds for a long program to free a core, and
 * the cores are oversubscribed by a few milliseconds of work at most.
 */
export interface ExpressLane { slots: number; maxCostMs: number }

export function createSlots<T extends QueuedRun>(o: { concurrency: number; queue: RunQueue<T>; now?: () => number; express?: ExpressLane }) {
  const now = o.now ?? Date.now;
  const waiting = new Map<string, () => void>();
  const express = new Set<string>();
  let active = 0;

  const grant = (runId: string) => {
    const resolve = waiting.get(runId);
    waiting.delete(runId);
    resolve?.();
  };

  function fill() {
    while (active < o.concurrency) {
      const next = o.queue.take(now());
      if (!next) return;
      active++;
      grant(next.runId);
    }
    const lane = o.express;
    if (!lane || !o.queue.takeShort) return;
    while (express.size < lane.slots) {
      const next = o.queue.takeShort(now(), lane.maxCostMs);
      if (!next) return;
      express.add(next.runId);
      grant(next.runId);
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
      if (!express.delete(runId)) active--;
      o.queue.done?.(runId, now());
      fill();
    },
    /** Runs holding a slot, express ones included. */
    get active() {
      return active + express.size;
    },
    get queued() {
      return o.queue.size;
    },
  };
}
export type Slots<T extends QueuedRun> = ReturnType<typeof createSlots<T>>;
