import { z } from 'zod';
import type { Warehouse } from '../warehouse';
import { refreshForecasts, type DemandForecast } from './forecaster';
import type { Forecast } from './model';
import type { HolidayCalendar } from './settings';
import { runsBySet, usageHistory, type UsageMinute } from './store';

/**
 * What the scaler reads from ClickHouse, as one interface: a forecast
 * refresh (which also stores the forecasts) and one minute of usage. The
 * process that owns the warehouse answers it directly (warehouseScalerSource);
 * the fleet manager asks that process over HTTP (forecast-router.ts, and
 * ops/fleet/scaler-source-http.ts), since the embedded ClickHouse has one owner.
 */
export interface ScalerSource {
  /** With dependencySets, also the arrivals per dependency set of each class (bySet), for the warm pools. */
  refresh(q: { hardwareClasses: readonly string[]; dependencySets?: readonly string[]; nowMinute: number }): Promise<{ issuedMinute: number; byClass: Map<string, DemandForecast>; bySet?: Map<string, Map<string, Forecast>> }>;
  /** Usage of one class in one minute; undefined when nothing ran in it. */
  usageMinute(q: { hardwareClass: string; minute: number }): Promise<UsageMinute | undefined>;
}

/** `holidays`: the forecaster's calendar (FORECAST_HOLIDAYS). */
export function warehouseScalerSource(wh: Warehouse, o: { holidays?: HolidayCalendar } = {}): ScalerSource {
  return {
    async refresh(q) {
      const r = await refreshForecasts(wh, { hardwareClasses: q.hardwareClasses, dependencySets: q.dependencySets, nowMinute: q.nowMinute, holidays: o.holidays });
      return { issuedMinute: r.issuedMinute, byClass: r.byClass, bySet: r.bySet };
    },
    async usageMinute(q) {
      const [row] = await usageHistory(wh, { hardwareClass: q.hardwareClass, fromMinute: q.minute, toMinute: q.minute + 1 });
      return row && { ...row, runsBySet: await runsBySet(wh, q) };
    },
  };
}

/** The HTTP shapes of the two calls (the router validates requests with them, the client responses). */
const forecastWire = z.object({
  start: z.number().int(),
  point: z.array(z.number()),
  lower: z.array(z.number()),
  upper: z.array(z.number()),
  method: z.enum(['mstl-daily-weekly', 'mstl-daily', 'ets-level', 'last-value', 'none']),
  note: z.string(),
  historyMinutes: z.number(),
  filledMinutes: z.number(),
  clippedBuckets: z.number(),
});
const hardwareClass = z.string().min(1).max(64).regex(/^[A-Za-z0-9_]+$/, 'must be letters, digits and _');
export const scalerWire = {
  refreshRequest: z.object({
    hardwareClasses: z.array(hardwareClass).min(1).max(32),
    dependencySets: z.array(z.string().min(1).max(128).regex(/^[A-Za-z0-9_.-]+$/, 'must be letters, digits, _ . and -')).max(64).optional(),
    nowMinute: z.number().int().positive(),
  }),
  refreshResponse: z.object({
    issuedMinute: z.number().int(),
    classes: z.record(z.string(), z.object({ runs: forecastWire, cpu_seconds: forecastWire })),
    /** Per class, arrivals per dependency set (when asked for). */
    sets: z.record(z.string(), z.record(z.string(), forecastWire)).optional(),
  }),
  usageRequest: z.object({ hardwareClass, minute: z.coerce.number().int().positive() }),
  usageResponse: z.object({
    usage: z.object({ minute: z.number().int(), runs: z.number(), cpuSeconds: z.number(), queueWaitP99Ms: z.number().nullable(), runsBySet: z.record(z.string(), z.number()).optional() }).nullable(),
  }),
};
