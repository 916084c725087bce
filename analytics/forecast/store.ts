import type { Warehouse } from '../warehouse';
import type { Forecast } from './model';
import { DEFAULT_HORIZON_EDGES, type HorizonAccuracy } from './accuracy';

/**
 * The forecaster's ClickHouse side: usage history in (from usage_per_minute),
 * forecasts out (the `forecasts` table), and accuracy afterwards (forecasts
 * joined with what usage_per_minute later recorded).
 */
export type ForecastMetric = 'runs' | 'cpu_seconds';
export const FORECAST_METRICS: readonly ForecastMetric[] = ['runs', 'cpu_seconds'];

export interface UsageMinute { minute: number; runs: number; cpuSeconds: number; queueWaitP99Ms: number | null; runsBySet?: Record<string, number> }

/** Per-minute usage of one hardware class (optionally one dependency set), minutes in epoch minutes, [from, to). */
export async function usageHistory(wh: Warehouse, q: { hardwareClass: string; dependencySet?: string; fromMinute: number; toMinute: number }): Promise<UsageMinute[]> {
  const dep = q.dependencySet === undefined ? '' : 'AND dependency_set = {dep:String}';
  const rows = await wh.query<{ m: string; runs: string; cpu: number; p99: number[] }>(
    `SELECT intDiv(toUnixTimestamp(minute), 60) AS m, sum(runs) AS runs, sum(cpu_ms) / 1000 AS cpu,
            quantilesTDigestMerge(0.5, 0.9, 0.95, 0.99)(queue_wait_q) AS p99
     FROM usage_per_minute
     WHERE minute >= toDateTime({from:Int64} * 60) AND minute < toDateTime({to:Int64} * 60) AND hardware_class = {hw:String} ${dep}
     GROUP BY m ORDER BY m`,
    { from: q.fromMinute, to: q.toMinute, hw: q.hardwareClass, dep: q.dependencySet ?? '' },
  );
  return rows.map((r) => ({ minute: Number(r.m), runs: Number(r.runs), cpuSeconds: Number(r.cpu), queueWaitP99Ms: r.p99?.length ? Number(r.p99[3]) : null }));
}

/** Runs per dependency set of one class in one minute (the warm pools' live floor). */
export async function runsBySet(wh: Warehouse, q: { hardwareClass: string; minute: number }): Promise<Record<string, number>> {
  const rows = await wh.query<{ dep: string; runs: string }>(
    `SELECT dependency_set AS dep, sum(runs) AS runs FROM usage_per_minute
     WHERE minute = toDateTime({m:Int64} * 60) AND hardware_class = {hw:String} GROUP BY dep`,
    { m: q.minute, hw: q.hardwareClass },
  );
  return Object.fromEntries(rows.map((r) => [r.dep, Number(r.runs)]));
}

/** Writes one forecast; the token makes a retried write of the same issue a no-op. */
export async function writeForecast(
  wh: Warehouse,
  f: Forecast,
  key: { issuedMinute: number; hardwareClass: string; dependencySet?: string; metric: ForecastMetric },
): Promise<void> {
  const rows = f.point.map((v, h) => ({
    issued_at: key.issuedMinute * 60,
    hardware_class: key.hardwareClass,
    dependency_set: key.dependencySet ?? '',
    metric: key.metric,
    target_minute: (f.start + h) * 60,
    horizon_minutes: f.start + h - key.issuedMinute,
    value: v,
    lower: f.lower[h] ?? v,
    upper: f.upper[h] ?? v,
    method: f.method,
  }));
  if (rows.length) await wh.insert('forecasts', rows, { token: `forecast-${key.hardwareClass}-${key.dependencySet ?? ''}-${key.metric}-${key.issuedMinute}` });
}

/**
 * MAPE and under-forecast rate by horizon band over forecasts whose target
 * minute lies in [from, to), against usage_per_minute. A minute without usage
 * rows had no demand and is left out of MAPE (it has no relative error).
 */
export async function forecastAccuracy(
  wh: Warehouse,
  q: { fromMinute: number; toMinute: number; hardwareClass?: string; metric: ForecastMetric; edges?: readonly number[] },
): Promise<HorizonAccuracy[]> {
  const edges = q.edges ?? DEFAULT_HORIZON_EDGES;
  const actual = q.metric === 'runs' ? 'sum(runs)' : 'sum(cpu_ms) / 1000';
  const hw = q.hardwareClass === undefined ? '' : 'AND hardware_class = {hw:String}';
  const rows = await wh.query<{ band: number; mape: number; under: number; n: string }>(
    `SELECT arrayFirstIndex(e -> f.horizon_minutes < e, {edges:Array(UInt32)}) AS band,
            avg(abs(f.value - a.v) / a.v) AS mape, avg(f.value < a.v) AS under, count() AS n
     FROM (SELECT hardware_class, target_minute, horizon_minutes, value FROM forecasts FINAL
           WHERE metric = {metric:String} AND dependency_set = '' ${hw}
             AND target_minute >= toDateTime({from:Int64} * 60) AND target_minute < toDateTime({to:Int64} * 60)) AS f
     INNER JOIN (SELECT hardware_class, minute, ${actual} AS v FROM usage_per_minute
           WHERE minute >= toDateTime({from:Int64} * 60) AND minute < toDateTime({to:Int64} * 60) ${hw}
           GROUP BY hardware_class, minute HAVING v > 0) AS a
       ON f.hardware_class = a.hardware_class AND f.target_minute = a.minute
     WHERE band >= 1 GROUP BY band ORDER BY band`,
    { from: q.fromMinute, to: q.toMinute, hw: q.hardwareClass ?? '', metric: q.metric, edges: edges.slice(1) },
  );
  const byBand = new Map(rows.map((r) => [Number(r.band), r]));
  return edges.slice(0, -1).map((from, i) => {
    const r = byBand.get(i + 1);
    return { fromMinutes: from, toMinutes: edges[i + 1]!, mape: r ? Number(r.mape) : NaN, underRate: r ? Number(r.under) : NaN, samples: r ? Number(r.n) : 0 };
  });
}
