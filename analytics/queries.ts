import type { Warehouse } from './warehouse';

/**
 * The dashboard's questions as parameterised ClickHouse queries. Values
 * always travel as {name:Type} parameters; identifiers (group-by column,
 * metric expression) come only from the whitelists below, never from a request.
 */
export const GROUP_BY = { hardware_class: 'hardware_class', dependency_set: 'dependency_set', language: 'language', none: "'all'" } as const;
export type GroupBy = keyof typeof GROUP_BY;

const Q = '0.5, 0.9, 0.95, 0.99';
/** Usage metrics over usage_per_minute; `zero` metrics are counts whose missing buckets mean 0. */
export const METRICS = {
  runs: { sql: 'sum(runs)', zero: true, unit: 'runs' },
  compiles: { sql: 'sum(compiles)', zero: true, unit: 'compiles' },
  executions: { sql: 'sum(executions)', zero: true, unit: 'executions' },
  cpu_seconds: { sql: 'sum(cpu_ms) / 1000', zero: true, unit: 's' },
  cpu_cores: { sql: 'sum(cpu_ms) / 1000 / {step:UInt32}', zero: true, unit: 'cores' },
  error_rate: { sql: 'if(sum(runs) = 0, NULL, 1 - sum(ok_runs) / sum(runs))', zero: false, unit: 'ratio' },
  cache_hit_ratio: { sql: 'if(sum(runs) = 0, NULL, sum(cache_hits) / sum(runs))', zero: false, unit: 'ratio' },
  latency_p50: { sql: `quantilesTDigestMerge(${Q})(latency_q)[1]`, zero: false, unit: 'ms' },
  latency_p90: { sql: `quantilesTDigestMerge(${Q})(latency_q)[2]`, zero: false, unit: 'ms' },
  latency_p95: { sql: `quantilesTDigestMerge(${Q})(latency_q)[3]`, zero: false, unit: 'ms' },
  latency_p99: { sql: `quantilesTDigestMerge(${Q})(latency_q)[4]`, zero: false, unit: 'ms' },
  queue_wait_avg: { sql: 'if(sum(runs) = 0, NULL, sum(queue_wait_ms_sum) / sum(runs))', zero: false, unit: 'ms' },
  queue_wait_p50: { sql: `quantilesTDigestMerge(${Q})(queue_wait_q)[1]`, zero: false, unit: 'ms' },
  queue_wait_p95: { sql: `quantilesTDigestMerge(${Q})(queue_wait_q)[3]`, zero: false, unit: 'ms' },
  peak_memory_mb: { sql: 'max(peak_memory_bytes) / 1048576', zero: false, unit: 'MiB' },
} as const;
export type Metric = keyof typeof METRICS;

export const STEPS = { '1m': 60, '5m': 300, '15m': 900, '1h': 3600, '6h': 21600, '1d': 86400 } as const;
export type Step = keyof typeof STEPS;

export interface Range { fromMs: number; toMs: number }
export interface Filters { hardwareClass?: string; dependencySet?: string; language?: string }

/** Ranges of two days or more read the hourly rollup (bounds rounded to the hour), shorter ones the per-minute table. */
export function usageTable(range: Range, stepSeconds?: number): 'usage_per_minute' | 'usage_per_hour' {
  const long = range.toMs - range.fromMs >= 2 * 86400_000;
  return long && (stepSeconds === undefined || stepSeconds >= 3600) ? 'usage_per_hour' : 'usage_per_minute';
}

function where(timeColumn: string, range: Range, f: Filters, minuteTable: boolean) {
  const conds = minuteTable
    ? [`${timeColumn} >= toDateTime(intDiv({fromMs:Int64}, 1000)) AND ${timeColumn} < toDateTime(intDiv({toMs:Int64}, 1000))`]
    : [`${timeColumn} >= fromUnixTimestamp64Milli({fromMs:Int64}) AND ${timeColumn} < fromUnixTimestamp64Milli({toMs:Int64})`];
  const params: Record<string, unknown> = { fromMs: range.fromMs, toMs: range.toMs };
  if (f.hardwareClass !== undefined) (conds.push('hardware_class = {hardwareClass:String}'), (params.hardwareClass = f.hardwareClass));
  if (f.dependencySet !== undefined) (conds.push('dependency_set = {dependencySet:String}'), (params.dependencySet = f.dependencySet));
  if (f.language !== undefined) (conds.push('language = {language:String}'), (params.language = f.language));
  return { sql: conds.join(' AND '), params };
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export interface Series { group: string; points: [number, number | null][] }

export async function usageSeries(
  wh: Warehouse,
  q: { metric: Metric; groupBy: GroupBy; step: Step; range: Range; filters: Filters },
): Promise<Series[]> {
  const step = STEPS[q.step];
  const w = where('minute', q.range, q.filters, true);
  const rows = await wh.query<{ t: string; g: string; v: number | string | null }>(
    `SELECT toUnixTimestamp(toStartOfInterval(minute, toIntervalSecond({step:UInt32}))) * 1000 AS t,
            ${GROUP_BY[q.groupBy]} AS g, ${METRICS[q.metric].sql} AS v
     FROM ${usageTable(q.range, step)} WHERE ${w.sql}
     GROUP BY t, g ORDER BY t, g`,
    { ...w.params, step },
  );
  // Buckets aligned like toStartOfInterval (epoch-aligned), so missing ones can be filled.
  const stepMs = step * 1000;
  const first = Math.floor(q.range.fromMs / stepMs) * stepMs;
  const byGroup = new Map<string, Map<number, number | null>>();
  for (const r of rows) {
    let m = byGroup.get(r.g);
    if (!m) byGroup.set(r.g, (m = new Map()));
    m.set(Number(r.t), num(r.v));
  }
  const fill = METRICS[q.metric].zero ? 0 : null;
  return [...byGroup.entries()].map(([group, m]) => {
    const points: [number, number | null][] = [];
    for (let t = first; t < q.range.toMs; t += stepMs) points.push([t, m.has(t) ? m.get(t)! : fill]);
    return { group, points };
  });
}

export interface WindowStats { runs: number; compiles: number; executions: number; cpuSeconds: number; sessions: number; users: number; edits: number }

/** Compiler Explorer-style totals for the last hour, day and week before `atMs`. */
export async function summary(wh: Warehouse, atMs: number): Promise<Record<'hour' | 'day' | 'week', WindowStats>> {
  const windows = { hour: 3600, day: 86400, week: 7 * 86400 } as const;
  // Whole hours come from the hourly rollups and only the partial hours at a window's two ends
  // from the per-minute tables, so each window stays exact to the minute while a week costs
  // 168 hourly rows instead of 10,080 minutes. All three windows end now, so one scan of each
  // table serves them all: a row counts for a window by condition (-If), not by subquery. The
  // boundaries are computed here and passed as parameters: spelled out as SQL expressions, the
  // statement grew to 12 KB and planning it cost more than running it.
  const now = Math.floor(atMs / 1000);
  const hour = (s: number) => Math.floor(s / 3600) * 3600;
  const params: Record<string, number> = { now, lastHour: hour(now) };
  const t = (k: string) => `toDateTime({${k}:UInt32})`;
  const names = Object.keys(windows) as (keyof typeof windows)[];
  for (const name of names) {
    const from = now - windows[name];
    const firstHour = hour(from + 3599);
    Object.assign(params, { [`${name}From`]: from, [`${name}FirstHour`]: firstHour, [`${name}HeadEnd`]: Math.min(firstHour, now), [`${name}TailStart`]: Math.max(hour(now), from) });
  }
  params.weekStart = now - windows.week;
  // Which windows a row counts for, as columns computed once per row (planning many -If
  // conditions cost more than scanning these small tables).
  const inHours = names.map((n) => `minute >= ${t(`${n}FirstHour`)} AS in_${n}`).join(', ');
  const inMinutes = names
    .map((n) => `(minute >= ${t(`${n}From`)} AND minute < ${t(`${n}HeadEnd`)}) OR (minute >= ${t(`${n}TailStart`)}) AS in_${n}`)
    .join(', ');
  const edgeHours = names.map((n) => `toDateTime(${hour(now - windows[n])})`).join(', ');
  const rows = (columns: string, hourTable: string, minuteTable: string) => `(
      SELECT ${inHours}, ${columns} FROM ${hourTable} WHERE minute >= ${t('weekFirstHour')} AND minute < ${t('lastHour')}
      UNION ALL
      SELECT ${inMinutes}, ${columns} FROM ${minuteTable}
      WHERE minute >= ${t('weekStart')} AND minute < ${t('now')} AND (minute >= ${t('lastHour')} OR toStartOfHour(minute) IN (${edgeHours})))`;
  const each = (f: (name: string) => string) => names.map(f).join(',\n    ');
  const sums = `(SELECT ${each(
    (n) => `sumIf(runs, in_${n}) AS ${n}_runs, sumIf(compiles, in_${n}) AS ${n}_compiles, sumIf(executions, in_${n}) AS ${n}_executions, sumIf(cpu_ms, in_${n}) / 1000 AS ${n}_cpu`,
  )} FROM ${rows('runs, compiles, executions, cpu_ms', 'usage_per_hour', 'usage_per_minute')}) AS s`;
  const uniques = `(SELECT ${each(
    (n) => `uniqCombinedMergeIf(12)(sessions, in_${n}) AS ${n}_sessions, uniqCombinedMergeIf(12)(users, in_${n}) AS ${n}_users`,
  )} FROM ${rows('sessions, users', 'activity_per_hour', 'activity_per_minute')}) AS u`;
  const edits = names.map((n) => `sumIf(edits, minute >= ${t(`${n}From`)}) AS ${n}_edits`).join(', ');
  // One statement: the engine plans the three parts together and the per-query overhead is paid once.
  const [row] = await wh.query<Record<string, string | number>>(
    `SELECT * FROM ${sums}\nCROSS JOIN ${uniques}
CROSS JOIN (SELECT ${edits} FROM edits_per_minute WHERE minute >= ${t('weekStart')} AND minute < ${t('now')}) AS e`,
    params,
  );
  const pick = (name: string): WindowStats => ({
    runs: Number(row?.[`${name}_runs`] ?? 0),
    compiles: Number(row?.[`${name}_compiles`] ?? 0),
    executions: Number(row?.[`${name}_executions`] ?? 0),
    cpuSeconds: Number(row?.[`${name}_cpu`] ?? 0),
    sessions: Number(row?.[`${name}_sessions`] ?? 0),
    users: Number(row?.[`${name}_users`] ?? 0),
    edits: Number(row?.[`${name}_edits`] ?? 0),
  });
  return { hour: pick('hour'), day: pick('day'), week: pick('week') };
}

export interface LatencyRow { group: string; runs: number; latency: Percentiles; queueWait: Percentiles }
export interface Percentiles { p50: number; p90: number; p95: number; p99: number }

export async function latencyPercentiles(wh: Warehouse, q: { groupBy: GroupBy; range: Range; filters: Filters }): Promise<LatencyRow[]> {
  const w = where('minute', q.range, q.filters, true);
  const rows = await wh.query<{ g: string; runs: string; l: number[]; qw: number[] }>(
    `SELECT ${GROUP_BY[q.groupBy]} AS g, sum(runs) AS runs,
            quantilesTDigestMerge(${Q})(latency_q) AS l, quantilesTDigestMerge(${Q})(queue_wait_q) AS qw
     FROM ${usageTable(q.range)} WHERE ${w.sql} GROUP BY g ORDER BY runs DESC`,
    w.params,
  );
  const pct = (a: number[]): Percentiles => ({ p50: Number(a[0]), p90: Number(a[1]), p95: Number(a[2]), p99: Number(a[3]) });
  return rows.map((r) => ({ group: r.g, runs: Number(r.runs), latency: pct(r.l), queueWait: pct(r.qw) }));
}

export interface StatusRow { group: string; status: string; runs: number }

export async function statusBreakdown(wh: Warehouse, q: { groupBy: GroupBy; range: Range; filters: Filters }): Promise<StatusRow[]> {
  const w = where('minute', q.range, q.filters, true);
  const rows = await wh.query<{ g: string; status: string; runs: string }>(
    `SELECT ${GROUP_BY[q.groupBy]} AS g, status, sum(runs) AS runs FROM status_per_minute WHERE ${w.sql} GROUP BY g, status ORDER BY g, runs DESC`,
    w.params,
  );
  return rows.map((r) => ({ group: r.g, status: r.status, runs: Number(r.runs) }));
}

export interface RatioRow { group: string; runs: number; cacheHits: number; ratio: number | null }

export async function cacheHitRatio(wh: Warehouse, q: { groupBy: GroupBy; range: Range; filters: Filters }): Promise<RatioRow[]> {
  const w = where('minute', q.range, q.filters, true);
  const rows = await wh.query<{ g: string; runs: string; hits: string }>(
    `SELECT ${GROUP_BY[q.groupBy]} AS g, sum(runs) AS runs, sum(cache_hits) AS hits
     FROM ${usageTable(q.range)} WHERE ${w.sql} GROUP BY g ORDER BY runs DESC`,
    w.params,
  );
  return rows.map((r) => ({ group: r.g, runs: Number(r.runs), cacheHits: Number(r.hits), ratio: Number(r.runs) ? Number(r.hits) / Number(r.runs) : null }));
}

export interface QueueWaitRow { group: string; runs: number; avgMs: number | null; p50Ms: number; p95Ms: number; p99Ms: number }

export async function queueWait(wh: Warehouse, q: { groupBy: GroupBy; range: Range; filters: Filters }): Promise<QueueWaitRow[]> {
  const w = where('minute', q.range, q.filters, true);
  const rows = await wh.query<{ g: string; runs: string; total: string; qw: number[] }>(
    `SELECT ${GROUP_BY[q.groupBy]} AS g, sum(runs) AS runs, sum(queue_wait_ms_sum) AS total, quantilesTDigestMerge(${Q})(queue_wait_q) AS qw
     FROM ${usageTable(q.range)} WHERE ${w.sql} GROUP BY g ORDER BY runs DESC`,
    w.params,
  );
  return rows.map((r) => ({
    group: r.g,
    runs: Number(r.runs),
    avgMs: Number(r.runs) ? Number(r.total) / Number(r.runs) : null,
    p50Ms: Number(r.qw[0]),
    p95Ms: Number(r.qw[2]),
    p99Ms: Number(r.qw[3]),
  }));
}

/** How the scheduler did, per policy and group: wait for a slot, slowdown, how good its predictions were. */
export interface SchedulingRow {
  scheduler: string; group: string; runs: number;
  slotWaitP50Ms: number; slotWaitP95Ms: number; slotWaitP99Ms: number;
  slowdownP50: number; slowdownP95: number; slowdownP99: number;
  /** Median of predicted ÷ actual slot time, and median absolute error (ms). */
  predictionRatioP50: number | null; predictionErrorP50Ms: number | null;
  bySource: number;
}

export async function schedulingStats(wh: Warehouse, q: { groupBy: GroupBy; range: Range; filters: Filters }): Promise<SchedulingRow[]> {
  const w = where('requested_at', q.range, q.filters, false);
  const rows = await wh.query<{ s: string; g: string; runs: string; sw: number[]; sd: number[]; ratio: number | null; err: number | null; src: string }>(
    `SELECT scheduler AS s, ${GROUP_BY[q.groupBy]} AS g, count() AS runs,
       quantiles(0.5, 0.95, 0.99)(slot_wait_ms) AS sw, quantiles(0.5, 0.95, 0.99)(slowdown) AS sd,
       medianIf((predicted_compile_ms + predicted_run_ms) / slot_ms, slot_ms > 0) AS ratio,
       medianIf(abs(toInt64(predicted_compile_ms + predicted_run_ms) - toInt64(slot_ms)), slot_ms > 0) AS err,
       countIf(prediction_basis = 'source') AS src
     FROM runs WHERE ${w.sql} AND scheduler != '' GROUP BY s, g ORDER BY s, runs DESC`,
    w.params,
  );
  const finite = (v: number | null) => (v === null || !Number.isFinite(Number(v)) ? null : Number(v));
  return rows.map((r) => ({
    scheduler: r.s, group: r.g, runs: Number(r.runs),
    slotWaitP50Ms: Number(r.sw[0]), slotWaitP95Ms: Number(r.sw[1]), slotWaitP99Ms: Number(r.sw[2]),
    slowdownP50: Number(r.sd[0]), slowdownP95: Number(r.sd[1]), slowdownP99: Number(r.sd[2]),
    predictionRatioP50: finite(r.ratio), predictionErrorP50Ms: finite(r.err), bySource: Number(r.src),
  }));
}
