import type { Warehouse } from './warehouse';

/**
 * Fleet size per hardware class over time, next to demand: the largest
 * desired and actual sizes any ops.fleet event reported in each step (a step
 * without events carries the last one forward), and the runs requested in it.
 */
export interface FleetPoint { t: number; hardwareClass: string; desired: number | null; actual: number | null; runs: number; cpuSeconds: number }

export async function fleetSeries(wh: Warehouse, q: { fromMs: number; toMs: number; stepSeconds: number }): Promise<FleetPoint[]> {
  const params = { from: Math.floor(q.fromMs / 1000), to: Math.ceil(q.toMs / 1000), step: q.stepSeconds };
  const sizes = await wh.query<{ t: string | number; hardware_class: string; desired: number | null; actual: number | null }>(
    `SELECT toUnixTimestamp(toStartOfInterval(at, INTERVAL {step:UInt32} SECOND)) AS t, hardware_class,
        maxIf(desired, desired IS NOT NULL) AS desired, maxIf(actual, actual IS NOT NULL) AS actual
      FROM fleet_events
      WHERE at >= fromUnixTimestamp({from:UInt32}) AND at < fromUnixTimestamp({to:UInt32}) AND kind != 'scale_decision'
      GROUP BY t, hardware_class ORDER BY t`,
    params,
  );
  const demand = await wh.query<{ t: string | number; hardware_class: string; runs: string | number; cpu_ms: string | number }>(
    `SELECT toUnixTimestamp(toStartOfInterval(minute, INTERVAL {step:UInt32} SECOND)) AS t, hardware_class, sum(runs) AS runs, sum(cpu_ms) AS cpu_ms
      FROM usage_per_minute
      WHERE minute >= fromUnixTimestamp({from:UInt32}) AND minute < fromUnixTimestamp({to:UInt32})
      GROUP BY t, hardware_class ORDER BY t`,
    params,
  );
  // The size before the range starts, so the first steps are not blank.
  const before = await wh.query<{ hardware_class: string; desired: number | null; actual: number | null }>(
    `SELECT hardware_class, argMaxIf(desired, at, desired IS NOT NULL) AS desired, argMaxIf(actual, at, actual IS NOT NULL) AS actual
      FROM fleet_events WHERE at < fromUnixTimestamp({from:UInt32}) AND kind != 'scale_decision' GROUP BY hardware_class`,
    params,
  );
  const key = (t: number, hw: string) => `${t}|${hw}`;
  const size = new Map(sizes.map((r) => [key(Number(r.t), r.hardware_class), r]));
  const runs = new Map(demand.map((r) => [key(Number(r.t), r.hardware_class), r]));
  const classes = [...new Set([...sizes, ...demand, ...before].map((r) => r.hardware_class))].sort();
  const last = new Map(before.map((r) => [r.hardware_class, { desired: r.desired, actual: r.actual }]));
  const out: FleetPoint[] = [];
  const start = Math.floor(params.from / q.stepSeconds) * q.stepSeconds;
  for (let t = start; t < params.to; t += q.stepSeconds) {
    for (const hw of classes) {
      const s = size.get(key(t, hw));
      if (s) last.set(hw, { desired: s.desired ?? last.get(hw)?.desired ?? null, actual: s.actual ?? last.get(hw)?.actual ?? null });
      const d = runs.get(key(t, hw));
      out.push({ t: t * 1000, hardwareClass: hw, desired: last.get(hw)?.desired ?? null, actual: last.get(hw)?.actual ?? null, runs: Number(d?.runs ?? 0), cpuSeconds: Number(d?.cpu_ms ?? 0) / 1000 });
    }
  }
  return out;
}
