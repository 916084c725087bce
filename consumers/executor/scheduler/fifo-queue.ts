import { createLedger, expectedStarts, type Predictor } from './ledger';
import type { Inspectable, QueuedRun, RunQueue } from './types';

/** First come, first served: the baseline (EXECUTOR_SCHEDULER=fifo). Predictions only feed the queue report. */
export function createFifoQueue<T extends QueuedRun>(predictor: Predictor): RunQueue<T> & Inspectable {
  const items: T[] = [];
  const ledger = createLedger(predictor);
  return {
    push(item) {
      ledger.predict(item);
      items.push(item);
    },
    take(now) {
      const item = items.shift();
      if (item) ledger.started(item, now);
      return item;
    },
    remove(runId) {
      const i = items.findIndex((x) => x.runId === runId);
      if (i < 0) return undefined;
      ledger.forget(runId);
      return items.splice(i, 1)[0];
    },
    done: (runId) => ledger.done(runId),
    get size() {
      return items.length;
    },
    plan: (now, slots) => expectedStarts(items.map((x) => ({ runId: x.runId, costMs: ledger.costOf(x.runId) })), ledger.runningRemaining(now), slots, now),
    prediction: ledger.prediction,
    runningRemaining: ledger.runningRemaining,
  };
}

