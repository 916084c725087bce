import path from 'node:path';
import { z } from 'zod';
import { env, readSection } from '../../topics/ground/env';
import { paths } from '../../topics/ground/paths';

const section = z.object({
  /** observe: decide and record every minute without changing the fleet; act: apply; off: no scaler loop. */
  SCALER_MODE: z.enum(['act', 'observe', 'off'], { message: 'must be act, observe or off' }).default('observe'),
  /** Where the fleet manager's scaler reads forecasts and usage (the analytics service owns ClickHouse). */
  ANALYTICS_URL: z.string().url('must be a URL such as http://127.0.0.1:8090').default('http://127.0.0.1:8090'),
  SCALER_ANALYTICS_TIMEOUT_MS: env.int(30000, 100, 600000),
  SCALER_BOOT_DELAY_SECONDS: env.int(180, 0, 3600),
  SCALER_WAIT_OBJECTIVE_MS: env.int(1000, 1, 600000),
  SCALER_WAIT_QUANTILE: z.coerce.number().gt(0.5, 'must be between 0.5 and 1').lt(1, 'must be between 0.5 and 1').default(0.99),
  SCALER_SCALE_IN_WINDOW_MINUTES: env.int(10, 0, 1440),
  SCALER_LOOKAHEAD_MINUTES: env.int(5, 0, 60),
  SCALER_BACKLOG_DRAIN_SECONDS: env.int(60, 1, 3600),
  /** Run slots per executor; unset (0), an executor's concurrency as the caller knows it. */
  SCALER_SLOTS_PER_EXECUTOR: env.int(0, 0, 4096),
  SCALER_REFRESH_MINUTES: env.int(5, 1, 360),
  SCALER_DEFAULT_SERVICE_MS: env.int(10000, 1, 600000),
  /** Warm pools sized from the forecast per dependency set (SCALER_MODE act publishes them to the executors). */
  WARM_POOLS_ENABLED: env.bool(true),
  WARM_POOL_MIN: env.int(1, 0, 64),
  WARM_POOL_MAX: env.int(8, 0, 64),
  /** A taken sandbox is refilled 250 ms later (or when its run ends, if sooner, runtimes/pools.ts) and starts in ~40-50 ms: ~300 ms. */
  WARM_POOL_START_MS: env.int(300, 1, 60000),
  WARM_POOL_HIT_TARGET: z.coerce.number().gt(0, 'must be between 0 and 1').lt(1, 'must be between 0 and 1').default(0.99),
  WARM_POOL_LOOKAHEAD_MINUTES: env.int(5, 0, 60),
  FLEET_REPORT_CRON: z
    .string()
    .regex(/^(\S+\s+){4,5}\S+$/, 'must be a cron expression such as "30 0 * * *"')
    .default('30 0 * * *'),
  FLEET_REPORT_ENABLED: env.bool(true),
  FLEET_REPORT_DIR: z.string().min(1).optional(),
  FLEET_REPORT_DAYS: env.int(7, 1, 90),
  /** Holidays the forecaster takes for weekend days: YYYY-MM-DD (UTC), comma-separated, each for every class or as class:YYYY-MM-DD for one. */
  FORECAST_HOLIDAYS: z
    .string()
    .regex(/^\s*((\w+:)?\d{4}-\d{2}-\d{2}\s*(,\s*|$))*$/, 'must be dates YYYY-MM-DD (or class:YYYY-MM-DD) separated by commas, such as 2026-12-25,arm64:2026-12-26')
    .refine((v) => holidayItems(v).every((x) => calendarDay(x.date) !== null), 'must name real calendar dates')
    .default(''),
});

/** Holidays as UTC day numbers (epoch minute / 1440): for every class, and per class. */
export interface HolidayCalendar { all: number[]; byClass: Record<string, number[]> }

export function parseHolidays(text: string): HolidayCalendar {
  const cal: HolidayCalendar = { all: [], byClass: {} };
  for (const { cls, date } of holidayItems(text)) {
    const day = calendarDay(date);
    if (day === null) throw new Error(`${date} is not a date YYYY-MM-DD`);
    if (cls) (cal.byClass[cls] ??= []).push(day);
    else cal.all.push(day);
  }
  return cal;
}

function holidayItems(text: string): { cls?: string; date: string }[] {
  return text
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)
    .map((x) => (x.includes(':') ? { cls: x.slice(0, x.indexOf(':')), date: x.slice(x.indexOf(':') + 1) } : { date: x }));
}

/** The UTC day number of YYYY-MM-DD, or null when it is not a real date (2026-02-30). */
function calendarDay(date: string): number | null {
  const ms = Date.parse(`${date}T00:00:00Z`);
  return Number.isFinite(ms) && new Date(ms).toISOString().slice(0, 10) === date ? Math.floor(ms / 86400000) : null;
}

/** The holidays of one hardware class: those of every class and its own. */
export const holidaysFor = (cal: HolidayCalendar | undefined, hardwareClass: string): number[] => (cal ? [...cal.all, ...(cal.byClass[hardwareClass] ?? [])] : []);

/**
 * Settings of the forecasts, the scaler (ops/fleet/scaler*) and the daily ops
 * scaling report: one section, so the scaler and the report agree on the
 * objective they size for and judge by.
 */
export function forecastSettings(e: NodeJS.ProcessEnv = process.env, defaultSlots = 1) {
  const s = readSection(section, e);
  return {
    scaler: {
      mode: s.SCALER_MODE === 'act' ? ('act' as const) : ('observe' as const),
      slotsPerExecutor: s.SCALER_SLOTS_PER_EXECUTOR || defaultSlots,
      bootDelaySeconds: s.SCALER_BOOT_DELAY_SECONDS,
      waitObjectiveSeconds: s.SCALER_WAIT_OBJECTIVE_MS / 1000,
      waitQuantile: s.SCALER_WAIT_QUANTILE,
      scaleInWindowMinutes: s.SCALER_SCALE_IN_WINDOW_MINUTES,
      lookaheadMinutes: s.SCALER_LOOKAHEAD_MINUTES,
      backlogDrainSeconds: s.SCALER_BACKLOG_DRAIN_SECONDS,
      defaultServiceSeconds: s.SCALER_DEFAULT_SERVICE_MS / 1000,
      serviceCv2: 1,
    },
    enabled: s.SCALER_MODE !== 'off',
    warmPools: {
      enabled: s.WARM_POOLS_ENABLED,
      config: { warmStartSeconds: s.WARM_POOL_START_MS / 1000, hitTarget: s.WARM_POOL_HIT_TARGET, minSize: Math.min(s.WARM_POOL_MIN, s.WARM_POOL_MAX), maxSize: s.WARM_POOL_MAX, lookaheadMinutes: s.WARM_POOL_LOOKAHEAD_MINUTES },
    },
    holidays: parseHolidays(s.FORECAST_HOLIDAYS),
    analyticsUrl: s.ANALYTICS_URL.replace(/\/$/, ''),
    analyticsTimeoutMs: s.SCALER_ANALYTICS_TIMEOUT_MS,
    refreshMinutes: s.SCALER_REFRESH_MINUTES,
    report: { cron: s.FLEET_REPORT_CRON, enabled: s.FLEET_REPORT_ENABLED, dir: path.resolve(s.FLEET_REPORT_DIR ?? path.join(paths(e).state, 'reports')), days: s.FLEET_REPORT_DAYS },
  };
}
export type ForecastSettings = ReturnType<typeof forecastSettings>;
