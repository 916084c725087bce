import { emptyQueue, simulateMinute, waitQuantileOf } from './queue-model';
import { oraclePlan, oracleUnitsAt, steadyNeed, type OracleShape } from './oracle';
import { oracleExecutorHours } from './report';

const shape: OracleShape = { slotsPerUnit: 10, waitObjectiveSeconds: 1, waitQuantile: 0.99, maxUnits: 1000 };

describe('the oracle (physical limit) of the fleet simulation and the ops report', () => {
  // A busy minute of minute-long runs (600 Erlangs) and a quiet one (60): the quiet minute meets the busy minute's
  // runs still in service, which its own steady-state need does not see.
  const runs = [600, 60, 60];
  const cpu = [36000, 3600, 3600];

  it('sizes a minute for the runs carried from the minute before, not for its own arrivals alone', () => {
    const plan = oraclePlan(shape, runs, cpu);
    const own = steadyNeed(shape, runs[1]!, cpu[1]!);
    expect(plan[1]).toBeGreaterThan(2 * own);
    // And the busy minute itself, from an empty system, needs fewer than its steady state: its queue builds over the minute.
    expect(plan[0]).toBeLessThan(steadyNeed(shape, runs[0]!, cpu[0]!));
    // What the queue holds after minute 0 under the plan: the steady need misses the objective on it, the plan meets it
    // and one unit fewer does not.
    const after0 = simulateMinute(plan[0]! * shape.slotsPerUnit, { runs: runs[0]!, cpuSeconds: cpu[0]! }, emptyQueue()).state;
    const p99 = (units: number) => waitQuantileOf(simulateMinute(units * shape.slotsPerUnit, { runs: runs[1]!, cpuSeconds: cpu[1]! }, after0).waits, 0.99);
    expect(p99(own)).toBeGreaterThan(1);
    expect(p99(plan[1]!)).toBeLessThanOrEqual(1);
    expect(p99(plan[1]! - 1)).toBeGreaterThan(1);
  });

  it("gives the report more executor-hours than the sum of each minute's own need when queues carry over", () => {
    const ownHours = runs.reduce((s, r, i) => s + steadyNeed(shape, r, cpu[i]!), 0) / 60;
    expect(oracleExecutorHours(shape, runs, cpu, 0)).toBeGreaterThan(ownHours * 1.1);
    // Asked for a boot delay ahead and kept: with a 1-minute boot, minute 0 is held for minute 1 and so on.
    const plan = Int32Array.of(5, 2, 7, 1);
    expect([0, 1, 2, 3].map((k) => oracleUnitsAt(plan, k, 1))).toEqual([5, 7, 7, 1]);
    const p = oraclePlan(shape, [...runs, 0], [...cpu, 0]);
    expect(oracleExecutorHours(shape, [...runs, 0], [...cpu, 0], 1)).toBeCloseTo((Math.max(p[0]!, p[1]!) + Math.max(p[1]!, p[2]!) + Math.max(p[2]!, p[3]!) + p[3]!) / 60, 10);
  });
});
