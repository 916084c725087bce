import type { Warehouse } from '../warehouse';
import { defaultForecastOptions, forecastSeries, type Forecast, type ForecastOptions } from './model';
import { denseSeries } from './series';
import { holidaysFor, type HolidayCalendar } from './settings';
import { FORECAST_METRICS, usageHistory, writeForecast, type ForecastMetric, type UsageMinute } from './store';

/**
 * One refresh: for each hardware class (and, for warm pools, dependency
 * set), read the history from usage_per_minute, forecast arrivals and CPU
 * seconds per minute, store both in `forecasts`. The scaler reads the
 * returned forecasts; the report reads the table.
 */
export type DemandForecast = Record<ForecastMetric, Forecast>;

export interface RefreshResult {
  issuedMinute: number;
  byClass: Map<string, DemandForecast>;
  /** Arrivals per dependency set of each class (for warm pools), when dependency sets were asked for. */
  bySet: Map<string, Map<string, Forecast>>;
  /** The last observed minute per class, for the scaler's reactive floor. */
  recent: Map<string, UsageMinute | undefined>;
}

/**
 * Builds both metric series from usage rows; a minute without a row had no
 * runs. History starts at the first recorded minute: the minutes before the
 * service first ran are unknown, not idle.
 */
export function demandFromUsage(rows: readonly UsageMinute[], fromMinute: number, toMinute: number, opts: ForecastOptions = defaultForecastOptions): DemandForecast {
  if (rows.length) fromMinute = Math.max(fromMinute, rows[0]!.minute);
  else fromMinute = toMinute;
  return {
    runs: forecastSeries(denseSeries(rows.map((r) => ({ minute: r.minute, value: r.runs })), fromMinute, toMinute), opts),
    cpu_seconds: forecastSeries(denseSeries(rows.map((r) => ({ minute: r.minute, value: r.cpuSeconds })), fromMinute, toMinute), opts),
  };
}

export async function refreshForecasts(
  wh: Warehouse,
  q: { hardwareClasses: readonly string[]; dependencySets?: readonly string[]; nowMinute: number; options?: ForecastOptions; store?: boolean; holidays?: HolidayCalendar },
): Promise<RefreshResult> {
  const base = q.options ?? defaultForecastOptions;
  const from = q.nowMinute - base.maxHistoryDays * 1440;
  const byClass = new Map<string, DemandForecast>();
  const bySet = new Map<string, Map<string, Forecast>>();
  const recent = new Map<string, UsageMinute | undefined>();
  for (const hw of q.hardwareClasses) {
    const opts: ForecastOptions = q.holidays ? { ...base, holidays: holidaysFor(q.holidays, hw) } : base;
    const rows = await usageHistory(wh, { hardwareClass: hw, fromMinute: from, toMinute: q.nowMinute });
    const f = demandFromUsage(rows, from, q.nowMinute, opts);
    byClass.set(hw, f);
    recent.set(hw, rows.at(-1));
    if (q.store !== false) for (const metric of FORECAST_METRICS) await writeForecast(wh, f[metric], { issuedMinute: q.nowMinute, hardwareClass: hw, metric });
    // Warm pools: arrivals only, per dependency set (the set's history alone; a set that never ran forecasts none).
    if (!q.dependencySets?.length) continue;
    const sets = new Map<string, Forecast>();
    for (const dependencySet of q.dependencySets) {
      const setRows = await usageHistory(wh, { hardwareClass: hw, dependencySet, fromMinute: from, toMinute: q.nowMinute });
      const start = setRows.length ? Math.max(from, setRows[0]!.minute) : q.nowMinute;
      const runs = forecastSeries(denseSeries(setRows.map((r) => ({ minute: r.minute, value: r.runs })), start, q.nowMinute), opts);
      sets.set(dependencySet, runs);
      if (q.store !== false) await writeForecast(wh, runs, { issuedMinute: q.nowMinute, hardwareClass: hw, dependencySet, metric: 'runs' });
    }
    bySet.set(hw, sets);
  }
  return { issuedMinute: q.nowMinute, byClass, bySet, recent };
}
