import { augurs } from './wasm';
import { bucketMeans, bucketsToMinutes, clipSeasonalOutliers, dayKind, fillGaps, holidayLift } from './series';

/**
 * One demand forecast: MSTL (daily and weekly seasonal components by LOESS,
 * an AutoETS model on what remains) from @bsull/augurs, fitted on bucket
 * means of the per-minute series and returned per minute. With less history
 * than two weeks (two periods of the longest season) it falls back step by
 * step and says so in `method` and `note`.
 */
export type ForecastMethod = 'mstl-daily-weekly' | 'mstl-daily' | 'ets-level' | 'last-value' | 'none';

export interface ForecastOptions {
  /** Minutes ahead to forecast (at least 120). */
  horizonMinutes: number;
  /** Minutes per bucket the model is fitted on (divides 1440). */
  bucketMinutes: number;
  /** Most recent history used, in days (AWS predictive scaling uses 14). */
  maxHistoryDays: number;
  /** Prediction-interval level, e.g. 0.9; the upper bound is what an under-forecast-averse consumer reads. */
  level: number;
  /** Holidays (UTC day numbers, epoch minute / 1440), each taken for a weekend day (series.ts holidayLift). */
  holidays?: readonly number[];
}

export const defaultForecastOptions: ForecastOptions = { horizonMinutes: 180, bucketMinutes: 5, maxHistoryDays: 14, level: 0.9 };

export interface Forecast {
  /** Epoch minute of the first forecast point (the minute after the history). */
  start: number;
  point: number[];
  lower: number[];
  upper: number[];
  method: ForecastMethod;
  note: string;
  historyMinutes: number;
  filledMinutes: number;
  clippedBuckets: number;
}

const DAY = 1440;
const WEEK = 7 * DAY;

/**
 * Forecast from a per-minute series that ends just before `start + values.length`.
 * NaN entries are gaps.
 */
export function forecastSeries(series: { start: number; values: readonly number[] }, opts: ForecastOptions = defaultForecastOptions): Forecast {
  const size = opts.bucketMinutes;
  if (DAY % size !== 0) throw new Error(`bucketMinutes ${size} must divide 1440`);
  const end = series.start + series.values.length;
  // Use whole buckets aligned to the epoch, so the seasonal phase of a bucket is stable between refreshes.
  const usable = Math.min(series.values.length, opts.maxHistoryDays * DAY);
  const first = end - usable + ((size - ((end - usable) % size)) % size);
  const alignedEnd = end - (end % size);
  const raw = series.values.slice(first - series.start, alignedEnd - series.start);
  const tail = series.values.slice(alignedEnd - series.start);
  const horizon = Math.max(opts.horizonMinutes, 120);
  const usableValues = series.values.slice(series.values.length - usable);
  const known = usableValues.filter((v) => !Number.isNaN(v)).length;
  const base = { start: end, historyMinutes: usable, filledMinutes: 0, clippedBuckets: 0 };
  if (known === 0) {
    const zeros = new Array<number>(horizon).fill(0);
    return { ...base, point: zeros, lower: zeros, upper: zeros, method: 'none', note: 'no history: nothing to forecast from' };
  }
  const filled = fillGaps(raw.concat(tail));
  const minuteValues = filled.values.slice(0, raw.length);
  const buckets = bucketMeans(minuteValues, size);
  // The partial bucket after alignedEnd is already observed; forecast from alignedEnd and drop those minutes.
  const skip = end - alignedEnd;
  const bucketsAhead = Math.ceil((horizon + skip) / size) + 1;
  const perDay = DAY / size;
  const perWeek = WEEK / size;
  // A holiday in the calendar is lifted to a weekday's level before the fit and the forecast lowered on one.
  const holidays = new Set(opts.holidays ?? []);
  const lastBucket = first + (buckets.length - 1) * size;
  const inCalendar = [...holidays].some((d) => d * DAY + DAY > first && d * DAY < alignedEnd + bucketsAhead * size);
  const lift = inCalendar ? holidayLift(buckets, first, size, holidays) : null;
  const liftAt = (minute: number) => (lift && dayKind(minute, holidays) === 'holiday' ? lift[Math.floor((minute % DAY) / size)]! : 0);
  const lifted = lift ? buckets.map((v, b) => Math.expm1(Math.log1p(Math.max(0, v)) + liftAt(first + b * size))) : buckets;
  const clipped = clipSeasonalOutliers(lifted, DAY / size, Math.max(1, Math.round(60 / size)));
  const y = clipped.values;
  // Demand is multiplicative (a weekend or holiday scales the day, it does not subtract a constant from every
  // hour), so the model is fitted on log(1 + y): an additive MSTL would drive quiet hours negative after a holiday.
  const logY = y.map((v) => Math.log1p(Math.max(0, v)));
  const stats = { ...base, filledMinutes: filled.filled, clippedBuckets: clipped.clipped };
  const lastObserved = y.length ? Math.expm1(Math.log1p(Math.max(0, y[y.length - 1]!)) - liftAt(lastBucket)) : filled.values[filled.values.length - 1]!;

  // Within [0, 1.5 × the highest bucket seen]: a trend fitted across a holiday must not extrapolate demand nobody ever had.
  const ceiling = 1.5 * Math.max(...y, lastObserved);
  const toMinutes = (b: number[]) =>
    bucketsToMinutes(b.map((v, k) => Math.min(ceiling, Math.max(0, Math.expm1(v - liftAt(alignedEnd + k * size))))), size, lastObserved, horizon + skip).slice(skip);
  const fitted = (periods: number[], method: ForecastMethod, note: string): Forecast => {
    const { MSTL } = augurs();
    const model = MSTL.ets(periods, {});
    try {
      model.fit(logY);
      const f = model.predict(bucketsAhead, opts.level);
      return {
        ...stats,
        method,
        note,
        point: toMinutes(f.point),
        lower: toMinutes(f.intervals?.lower ?? f.point),
        upper: toMinutes(f.intervals?.upper ?? f.point),
      };
    } finally {
      model.free();
    }
  };
  if (y.length >= 2 * perWeek) return fitted([perDay, perWeek], 'mstl-daily-weekly', `${(usable / DAY).toFixed(1)} days of history: daily and weekly seasonality`);
  if (y.length >= 2 * perDay) {
    return fitted([perDay], 'mstl-daily', `only ${(usable / DAY).toFixed(1)} days of history (weekly seasonality needs 14): daily seasonality only, weekdays and weekends look alike`);
  }
  if (y.length >= 12) {
    const { AutoETS } = augurs();
    const model = new AutoETS(1, 'ZZN');
    try {
      model.fit(logY);
      const f = model.predict(bucketsAhead, opts.level);
      return {
        ...stats,
        method: 'ets-level',
        note: `only ${(usable / 60).toFixed(1)} hours of history (daily seasonality needs 2 days): recent level and trend, no seasonality`,
        point: toMinutes(f.point),
        lower: toMinutes(f.intervals?.lower ?? f.point),
        upper: toMinutes(f.intervals?.upper ?? f.point),
      };
    } finally {
      model.free();
    }
  }
  // Less than a bucket may precede the first aligned bucket: the fallback reads every known minute.
  const allFilled = fillGaps(usableValues).values;
  const recent = allFilled.slice(-Math.min(30, allFilled.length));
  const level = recent.reduce((a, b) => a + b, 0) / recent.length;
  const flat = new Array<number>(horizon).fill(level);
  return { ...stats, point: flat, lower: flat, upper: flat, method: 'last-value', note: `only ${known} minutes of history: the mean of the last ${recent.length} minutes, held flat` };
}
