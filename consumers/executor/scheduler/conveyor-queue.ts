import { createLedger, expectedStarts, type Predictor } from './ledger';
import type { QueuedRun, ScheduledQueue } from './types';

/**
 * Conveyor's run scheduler (docs/decisions/scheduling-policy.md). Each queued
 * run has a deadline: its arrival plus `slack` times its predicted cost, so a
 * short run overtakes long ones while a long run, as it ages, overtakes every
 * newcomer whose deadline falls after its own: no run waits much more than
 * `slack` times its own prediction. Fair shares (Virtual Clock): a client's
 * runs are lined up one after another, each deadline starting where the same
 * client's previous one ended, so a client with ten runs gets the deadlines of
 * one client running ten times in a row, not ten clients' worth. Runs whose deadlines lie within `tieMs` of the
 * earliest are equal: one whose dependency set is warm goes first.
 */
export interface ConveyorQueueOptions {
  predictor: Predictor;
  /** Allowed wait as a multiple of the predicted cost (the slowdown target minus one). */
  slack?: number;
  /** Deadlines this close to the earliest count as equal priority. */
  tieMs?: number;
  /** Whether a dependency set has warm runtimes ready; by default, the sets running now or started last. */
  isWarm?: (dependencySet: string) => boolean;
}

interface Entry<T> { item: T; costMs: number; key: number; seq: number }

export function createConveyorQueue<T extends QueuedRun>(opts: ConveyorQueueOptions): ScheduledQueue<T> {
  const slack = opts.slack ?? 2;
  const tieMs = opts.tieMs ?? 20;
  const ledger = createLedger(opts.predictor);
  const entries = new Map<string, Entry<T>>();
  // Per client: the deadline of its latest run, and its queued predicted work.
  const clients = new Map<string, { lastKey: number; queuedMs: number }>();
  let seq = 0;
  let lastSet: string | undefined;

  const warm = opts.isWarm ?? ((set: string) => set === lastSet || ledger.runningSets().has(set));
  const earlier = (a: Entry<T>, b: Entry<T>) => a.key - b.key || a.seq - b.seq;

  function start(e: Entry<T>, now: number): T {
    detach(e);
    ledger.started(e.item, now);
    lastSet = e.item.dependencySet;
    return e.item;
  }

  function detach(e: Entry<T>) {
    entries.delete(e.item.runId);
    const c = clients.get(e.item.clientId);
    if (c) c.queuedMs -= e.costMs;
  }

  return {
    push(item) {
      ledger.predict(item);
      const costMs = ledger.costOf(item.runId);
      const now = item.enqueuedAtMs;
      const c = clients.get(item.clientId) ?? { lastKey: 0, queuedMs: 0 };
      // Virtual Clock: a client's run starts its deadline where its previous run's ended, so ten
      // runs sent at once get the deadlines of ten runs one after another. Capped by what the
      // client still has outstanding, so a client served alone while the cores were idle owes nothing later.
      const outstanding = c.queuedMs + ledger.runningLoad(item.clientId, now);
      const start = Math.max(now, Math.min(c.lastKey, now + slack * outstanding));
      const e: Entry<T> = { item, costMs, key: start + slack * costMs, seq: seq++ };
      c.lastKey = e.key;
      c.queuedMs += costMs;
      clients.set(item.clientId, c);
      entries.set(item.runId, e);
      // Forget clients with nothing left whose last deadline has passed (bounded memory).
      if (clients.size > 10000) for (const [id, x] of clients) if (x.queuedMs <= 0 && x.lastKey < now) clients.delete(id);
    },

    take(now) {
      if (!entries.size) return undefined;
      let best: Entry<T> | undefined;
      for (const e of entries.values()) if (!best || earlier(e, best) < 0) best = e;
      // Equal priority: prefer a run whose dependency set has warm runtimes.
      if (!warm(best!.item.dependencySet)) {
        let tied: Entry<T> | undefined;
        for (const e of entries.values()) if (e.key <= best!.key + tieMs && warm(e.item.dependencySet) && (!tied || earlier(e, tied) < 0)) tied = e;
        if (tied) best = tied;
      }
      return start(best!, now);
    },

    takeShort(now, maxCostMs) {
      let best: Entry<T> | undefined;
      for (const e of entries.values()) {
        if (e.costMs > maxCostMs || ledger.prediction(e.item.runId)?.basis === 'prior') continue;
        if (!best || earlier(e, best) < 0) best = e;
      }
      return best && start(best, now);
    },

    remove(runId) {
      const e = entries.get(runId);
      if (!e) return undefined;
      detach(e);
      ledger.forget(runId);
      return e.item;
    },

    done: (runId) => ledger.done(runId),

    get size() {
      return entries.size;
    },

    plan(now, slots) {
      const order = [...entries.values()].sort(earlier).map((e) => ({ runId: e.item.runId, costMs: e.costMs }));
      return expectedStarts(order, ledger.runningRemaining(now), slots, now);
    },
    prediction: ledger.prediction,
    runningRemaining: ledger.runningRemaining,
  };
}
