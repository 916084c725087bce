import type { FleetEvent } from '../topics/types';
import type { Warehouse } from './warehouse';

/**
 * Fleet size per hardware class over time, next to demand: the largest
 * desired and actual sizes any ops.fleet event reported in each step (a step
 * without events carries the last one forward), the runs requested in it and
 * their CPU seconds, and the CPU seconds the forecast in use had expected
 * (for each minute the latest forecast issued for it; null without one).
 */
export interface FleetPoint { t: number; hardwareClass: string; desired: number | null; actual: number | null; runs: number; cpuSeconds: number; forecastCpuSeconds: number | null }

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
  const forecast = await wh.query<{ t: string | number; hardware_class: string; cpu: number }>(
    `SELECT toUnixTimestamp(toStartOfInterval(target_minute, INTERVAL {step:UInt32} SECOND)) AS t, hardware_class, sum(v) AS cpu
      FROM (SELECT hardware_class, target_minute, argMax(value, issued_at) AS v FROM forecasts FINAL
            WHERE metric = 'cpu_seconds' AND dependency_set = '' AND target_minute >= fromUnixTimestamp({from:UInt32}) AND target_minute < fromUnixTimestamp({to:UInt32})
            GROUP BY hardware_class, target_minute)
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
  const expected = new Map(forecast.map((r) => [key(Number(r.t), r.hardware_class), Number(r.cpu)]));
  const classes = [...new Set([...sizes, ...demand, ...before, ...forecast].map((r) => r.hardware_class))].sort();
  const last = new Map(before.map((r) => [r.hardware_class, { desired: r.desired, actual: r.actual }]));
  const out: FleetPoint[] = [];
  const start = Math.floor(params.from / q.stepSeconds) * q.stepSeconds;
  for (let t = start; t < params.to; t += q.stepSeconds) {
    for (const hw of classes) {
      const s = size.get(key(t, hw));
      if (s) last.set(hw, { desired: s.desired ?? last.get(hw)?.desired ?? null, actual: s.actual ?? last.get(hw)?.actual ?? null });
      const d = runs.get(key(t, hw));
      out.push({ t: t * 1000, hardwareClass: hw, desired: last.get(hw)?.desired ?? null, actual: last.get(hw)?.actual ?? null, runs: Number(d?.runs ?? 0), cpuSeconds: Number(d?.cpu_ms ?? 0) / 1000, forecastCpuSeconds: expected.get(key(t, hw)) ?? null });
    }
  }
  return out;
}

/** The ops.fleet events ClickHouse holds (every manager's, kept 400 days), newest first, in the topic's shape. */
export async function fleetHistory(wh: Warehouse, q: { hardwareClass?: string; limit: number }): Promise<FleetEvent[]> {
  const rows = await wh.query<{
    event_id: string; at_ms: string | number; kind: string; hardware_class: string; member_id: string; state: string; previous_state: string;
    desired: number | null; actual: number | null; min: number | null; max: number | null; applied: number; reason: string; actor: string; inputs_json: string; manager_id: string;
  }>(
    `SELECT event_id, toUnixTimestamp64Milli(at) AS at_ms, kind, hardware_class, member_id, state, previous_state, desired, actual, min, max, applied, reason, actor, inputs_json, manager_id
      FROM fleet_events FINAL
      WHERE {class:String} = '' OR hardware_class = {class:String}
      ORDER BY at DESC, event_id DESC LIMIT {limit:UInt32}`,
    { class: q.hardwareClass ?? '', limit: q.limit },
  );
  const orNull = (s: string) => (s === '' ? null : s);
  return rows.map((r) => ({
    eventId: r.event_id, timestampMs: Number(r.at_ms), kind: r.kind as FleetEvent['kind'], hardwareClass: r.hardware_class, memberId: orNull(r.member_id),
    state: orNull(r.state) as FleetEvent['state'], previousState: orNull(r.previous_state) as FleetEvent['previousState'],
    desired: r.desired === null ? null : Number(r.desired), actual: r.actual === null ? null : Number(r.actual), min: r.min === null ? null : Number(r.min), max: r.max === null ? null : Number(r.max),
    applied: Number(r.applied) === 1, reason: r.reason, actor: r.actor, inputsJson: orNull(r.inputs_json), managerId: r.manager_id,
  }));
}

/**
 * The scaler's decisions in a range, newest first: what it chose, whether it
 * was applied, and why — executor counts (`scale_decision`) and warm-pool
 * sizes per dependency set (`pool_decision`, `sizes` from its inputs; null
 * for executor decisions).
 */
export type FleetDecisionKind = 'scale_decision' | 'pool_decision';
export interface FleetDecision { at: number; kind: FleetDecisionKind; hardwareClass: string; desired: number | null; actual: number | null; applied: boolean; reason: string; sizes: Record<string, number> | null }

export async function fleetDecisions(wh: Warehouse, q: { fromMs: number; toMs: number; limit: number }): Promise<FleetDecision[]> {
  const rows = await wh.query<{ at_ms: string | number; kind: FleetDecisionKind; hardware_class: string; desired: number | null; actual: number | null; applied: number; reason: string; inputs_json: string | null }>(
    `SELECT toUnixTimestamp64Milli(at) AS at_ms, kind, hardware_class, desired, actual, applied, reason, if(kind = 'pool_decision', inputs_json, NULL) AS inputs_json FROM fleet_events FINAL
      WHERE kind IN ('scale_decision', 'pool_decision') AND at >= fromUnixTimestamp64Milli({from:Int64}) AND at < fromUnixTimestamp64Milli({to:Int64})
      ORDER BY at DESC LIMIT {limit:UInt32}`,
    { from: Math.floor(q.fromMs), to: Math.ceil(q.toMs), limit: q.limit },
  );
  return rows.map((r) => ({
    at: Number(r.at_ms), kind: r.kind, hardwareClass: r.hardware_class, desired: r.desired, actual: r.actual, applied: Number(r.applied) === 1, reason: r.reason,
    sizes: r.kind === 'pool_decision' ? poolSizesOf(r.inputs_json) : null,
  }));
}

/** A pool decision's sizes per dependency set from its inputs ({} when they are missing or not sizes). */
function poolSizesOf(inputs: string | null): Record<string, number> {
  try {
    const sizes = (JSON.parse(inputs ?? 'null') as { sizes?: unknown } | null)?.sizes;
    if (!sizes || typeof sizes !== 'object') return {};
    return Object.fromEntries(Object.entries(sizes).filter((e): e is [string, number] => typeof e[1] === 'number'));
  } catch {
    return {};
  }
}
