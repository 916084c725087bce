import { serversFor } from './erlang-c';
import { emptyQueue, simulateMinute, waitQuantileOf } from './queue-model';

/**
 * The oracle with perfect foresight, the physical limit the fleet is judged
 * against, shared by the fleet simulation (ops/fleet/simulate) and the ops
 * scaling report (report.ts): for every minute in order, the fewest units
 * (machines, executors) whose slots keep the minute's wait quantile within
 * the objective on that minute's runs together with the runs carried from
 * the minute before (the queue model's state under the plan's own capacity).
 * Sized from each minute's own need alone (steady-state Erlang C), it meets
 * the runs a busier minute left in the system with too little.
 */
export interface OracleShape { slotsPerUnit: number; waitObjectiveSeconds: number; waitQuantile: number; maxUnits: number }

/** The units a minute's own arrivals need in steady state (Erlang C), 0 without runs. */
export function steadyNeed(shape: OracleShape, runs: number, cpuSeconds: number): number {
  return runs > 0 ? Math.ceil(serversFor({ arrivalsPerSecond: runs / 60, serviceSeconds: cpuSeconds / runs }, shape.waitObjectiveSeconds, shape.waitQuantile) / shape.slotsPerUnit) : 0;
}

/** Units per minute from `from`: the fewest whose slots keep the minute's wait quantile within the objective, the queue carried. */
export function oraclePlan(shape: OracleShape, runs: ArrayLike<number>, cpu: ArrayLike<number>, from = 0): Int32Array {
  const plan = new Int32Array(runs.length - from);
  let state = emptyQueue();
  const meets = (n: number, i: number) => {
    const m = simulateMinute(n * shape.slotsPerUnit, { runs: runs[i]!, cpuSeconds: cpu[i]! }, state);
    return { ok: runs[i]! <= 0 || waitQuantileOf(m.waits, shape.waitQuantile) <= shape.waitObjectiveSeconds, m };
  };
  for (let i = from; i < runs.length; i++) {
    // From the minute's steady-state need: down while it still meets the objective, up until it does.
    let n = Math.max(1, steadyNeed(shape, runs[i]!, cpu[i]!));
    let r = meets(n, i);
    if (r.ok) {
      while (n > 1) {
        const fewer = meets(n - 1, i);
        if (!fewer.ok) break;
        (n -= 1), (r = fewer);
      }
    } else {
      while (!r.ok && n < shape.maxUnits) (n += 1), (r = meets(n, i));
    }
    plan[i - from] = n;
    state = r.m.state;
  }
  return plan;
}

/**
 * The units the oracle has at plan index k (at least one): its units are asked
 * for a boot delay ahead and kept until every minute they were needed for has
 * passed, so it holds the most the plan needs over [k, k + boot].
 */
export function oracleUnitsAt(plan: Int32Array, k: number, bootMinutes: number): number {
  let n = 1;
  for (let j = k; j <= Math.min(plan.length - 1, k + bootMinutes); j++) n = Math.max(n, plan[j]!);
  return n;
}
