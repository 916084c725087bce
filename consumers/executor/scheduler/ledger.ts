import type { CostKey } from './cost-predictor';
import type { Prediction, QueuedRun, QueuePosition } from './types';

/**
 * What both queues (FIFO and Conveyor's) keep beside the order: each run's
 * prediction, made once when it is queued, and the runs in the slots with
 * their predicted remaining time. From it come the queue report the gateway's
 * admission reads and the expected start of every queued run.
 */
export interface Predictor { predict(k: CostKey): Prediction }

interface Running { clientId: string; dependencySet: string; costMs: number; startedAtMs: number }

export const MIN_COST_MS = 5;
const RUNNING_REMEMBERED = 4096;

export function createLedger(predictor: Predictor) {
  const predictions = new Map<string, Prediction>();
  const running = new Map<string, Running>();

  const remaining = (r: Running, now: number) => Math.max(MIN_COST_MS, r.costMs - (now - r.startedAtMs));

  return {
    predict(item: QueuedRun): Prediction {
      const p = predictor.predict(item);
      predictions.set(item.runId, p);
      return p;
    },
    prediction: (runId: string) => predictions.get(runId),
    costOf: (runId: string) => Math.max(MIN_COST_MS, predictions.get(runId)?.totalMs ?? MIN_COST_MS),
    forget(runId: string) {
      predictions.delete(runId);
    },
    started(item: QueuedRun, now: number) {
      running.set(item.runId, { clientId: item.clientId, dependencySet: item.dependencySet, costMs: Math.max(MIN_COST_MS, predictions.get(item.runId)?.totalMs ?? 0), startedAtMs: now });
      // Slots that never report `done` must not grow this without end.
      if (running.size > RUNNING_REMEMBERED) running.delete(running.keys().next().value!);
    },
    done(runId: string) {
      running.delete(runId);
      predictions.delete(runId);
    },
    /** Predicted remaining slot time of a client's running runs. */
    runningLoad(clientId: string, now: number): number {
      let ms = 0;
      for (const r of running.values()) if (r.clientId === clientId) ms += remaining(r, now);
      return ms;
    },
    runningSets(): Set<string> {
      return new Set([...running.values()].map((r) => r.dependencySet));
    },
    runningRemaining(now: number): number[] {
      return [...running.values()].map((r) => remaining(r, now));
    },
    get running() {
      return running.size;
    },
  };
}
export type Ledger = ReturnType<typeof createLedger>;

/**
 * Expected start of each queued run, in the order given, on `slots` slots
 * whose running runs end after their predicted remaining time: each run
 * takes the slot that frees first.
 */
export function expectedStarts(order: { runId: string; costMs: number }[], runningRemaining: number[], slots: number, now: number): QueuePosition[] {
  const free = [...runningRemaining].sort((a, b) => a - b).slice(0, slots);
  while (free.length < slots) free.unshift(0);
  free.sort((a, b) => a - b);
  return order.map((o, i) => {
    const at = free.shift()!;
    const end = at + o.costMs;
    // Keep `free` sorted: insert where the slot's new end belongs.
    let j = free.findIndex((f) => f > end);
    if (j < 0) j = free.length;
    free.splice(j, 0, end);
    return { runId: o.runId, position: i + 1, predictedMs: Math.round(o.costMs), expectedStartMs: Math.round(now + at) };
  });
}
