import { createLedger, expectedStarts, type Predictor } from './ledger';
import type { QueuedRun, ScheduledQueue } from './types';

/**
 * Conveyor's run scheduler (docs/decisions/scheduling-policy.md). Each queued
 * run has a deadline: its arrival plus `slack` times its predicted cost, so a
 * short run overtakes long ones while a long run, as it ages, overtakes every
 * newcomer whose deadline falls after its own: no run waits much more than
 * `slack` times its own prediction. Fair shares: a client's runs are lined up
 * one after another, each deadline pushed back by `slack` times the predicted
 * work the same client already has ahead of it (queued or running), so a
 * client with ten runs gets the deadlines of one client running ten times in a
 * row, not ten clients' worth. Runs whose deadlines lie within `tieMs` of the
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

interface Entry<T> { item: T; costMs: number; base: number; seq: number }

export function createConveyorQueue<T extends QueuedRun>(opts: ConveyorQueueOptions): ScheduledQueue<T> {
  const slack = opts.slack ?? 2;
  const tieMs = opts.tieMs ?? 20;
  const ledger = createLedger(opts.predictor);
  // Per client, its runs in order of their own deadlines.
  const byClient = new Map<string, Entry<T>[]>();
  const where = new Map<string, string>();
  let count = 0;
  let seq = 0;
  let lastSet: string | undefined;

  const warm = opts.isWarm ?? ((set: string) => set === lastSet || ledger.runningSets().has(set));

  /** Every queued run with its deadline as of now, in one pass per client. */
  function keyed(now: number): { e: Entry<T>; key: number }[] {
    const out: { e: Entry<T>; key: number }[] = [];
    for (const [client, list] of byClient) {
      let ahead = ledger.runningLoad(client, now);
      for (const e of list) {
        out.push({ e, key: e.base + slack * ahead });
        ahead += e.costMs;
      }
    }
    return out;
  }

  const earlier = (a: { e: Entry<T>; key: number }, b: { e: Entry<T>; key: number }) => a.key - b.key || a.e.seq - b.e.seq;

  function detach(e: Entry<T>) {
    const client = e.item.clientId;
    const list = byClient.get(client)!;
    list.splice(list.indexOf(e), 1);
    if (!list.length) byClient.delete(client);
    where.delete(e.item.runId);
    count--;
  }

  return {
    push(item) {
      ledger.predict(item);
      const costMs = ledger.costOf(item.runId);
      const e: Entry<T> = { item, costMs, base: item.enqueuedAtMs + slack * costMs, seq: seq++ };
      const list = byClient.get(item.clientId) ?? [];
      let i = list.findIndex((x) => x.base > e.base);
      if (i < 0) i = list.length;
      list.splice(i, 0, e);
      byClient.set(item.clientId, list);
      where.set(item.runId, item.clientId);
      count++;
    },

    take(now) {
      if (!count) return undefined;
      const all = keyed(now);
      let best = all[0]!;
      for (const k of all) if (earlier(k, best) < 0) best = k;
      // Equal priority: prefer a run whose dependency set has warm runtimes.
      if (!warm(best.e.item.dependencySet)) {
        const tied = all.filter((k) => k.key <= best.key + tieMs && warm(k.e.item.dependencySet)).sort(earlier);
        if (tied.length) best = tied[0]!;
      }
      detach(best.e);
      ledger.started(best.e.item, now);
      lastSet = best.e.item.dependencySet;
      return best.e.item;
    },

    remove(runId) {
      const client = where.get(runId);
      if (client === undefined) return undefined;
      const e = byClient.get(client)!.find((x) => x.item.runId === runId)!;
      detach(e);
      ledger.forget(runId);
      return e.item;
    },

    done: (runId) => ledger.done(runId),

    get size() {
      return count;
    },

    plan(now, slots) {
      const order = keyed(now).sort(earlier).map((k) => ({ runId: k.e.item.runId, costMs: k.e.costMs }));
      return expectedStarts(order, ledger.runningRemaining(now), slots, now);
    },
    prediction: ledger.prediction,
    runningRemaining: ledger.runningRemaining,
  };
}
