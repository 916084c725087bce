/**
 * Preparing a per-minute usage series for the models: missing minutes are
 * filled, one-off outliers are clipped, and the series is averaged into
 * buckets the model is fitted on. Pure functions over plain arrays.
 */

/** Values per minute from `start` (epoch minutes); NaN marks a minute with no row. */
export interface MinuteSeries { start: number; values: number[] }

/**
 * Rows by minute into a dense series from `from` to `to` (exclusive, epoch
 * minutes). A missing minute is NaN unless `zeroIsMissing` is false, in which
 * case a minute without a row means no demand (usage_per_minute writes no row
 * for an idle minute, so for counts that is the truth).
 */
export function denseSeries(rows: readonly { minute: number; value: number }[], from: number, to: number, missingAs = 0): MinuteSeries {
  const values = new Array<number>(Math.max(0, to - from)).fill(missingAs);
  for (const r of rows) if (r.minute >= from && r.minute < to) values[r.minute - from] = r.value;
  return { start: from, values };
}

/**
 * Fills NaN gaps: from the same minute a day earlier where that is known
 * (demand is daily-periodic, so this keeps the gap's shape), otherwise by
 * linear interpolation between the known neighbours.
 */
export function fillGaps(values: readonly number[], period = 1440): { values: number[]; filled: number } {
  const out = values.slice();
  let filled = 0;
  for (let i = 0; i < out.length; i++) {
    if (!Number.isNaN(out[i]!)) continue;
    filled++;
    const dayAgo = i - period >= 0 ? out[i - period]! : NaN;
    if (!Number.isNaN(dayAgo)) {
      out[i] = dayAgo;
      continue;
    }
    let prev = i - 1;
    while (prev >= 0 && Number.isNaN(out[prev]!)) prev--;
    let next = i + 1;
    while (next < out.length && Number.isNaN(out[next]!)) next++;
    const a = prev >= 0 ? out[prev]! : undefined;
    const b = next < out.length ? out[next]! : undefined;
    out[i] = a !== undefined && b !== undefined ? a + ((b - a) * (i - prev)) / (next - prev) : (a ?? b ?? 0);
  }
  return { values: out, filled };
}

/**
 * Hampel filter: a point further than `k` scaled median absolute deviations
 * from the median of its window is replaced by that median. A spike of a few
 * minutes is then not learnt as part of the daily shape; a change that lasts
 * longer than half the window is kept.
 */
export function clipOutliers(values: readonly number[], halfWindow = 15, k = 6): { values: number[]; clipped: number } {
  const out = values.slice();
  let clipped = 0;
  const win: number[] = [];
  for (let i = 0; i < values.length; i++) {
    win.length = 0;
    for (let j = Math.max(0, i - halfWindow); j <= Math.min(values.length - 1, i + halfWindow); j++) win.push(values[j]!);
    const med = median(win);
    for (let j = 0; j < win.length; j++) win[j] = Math.abs(win[j]! - med);
    const mad = 1.4826 * median(win);
    // Relative floor: a flat window (MAD 0) must not turn ordinary noise into outliers.
    const scale = Math.max(mad, 0.02 * Math.abs(med), 1e-9);
    if (Math.abs(values[i]! - med) > k * scale) {
      out[i] = med;
      clipped++;
    }
  }
  return { values: out, clipped };
}

/**
 * The Hampel filter on the change from the same bucket a day earlier
 * (log(1 + y) − log(1 + y a period ago)), for a series with a daily shape.
 * On raw values the newest buckets can only be judged against a window that
 * lies wholly behind them, so a steep ramp at the end of the history looked
 * like outliers and was cut to the level of an hour before, taking the
 * forecast's level down with it. Against yesterday the ramp is ordinary and
 * a spike still stands out. A clipped bucket takes yesterday's value times
 * the window's median change. The first period, with no day before it, is
 * judged on raw values (clipOutliers).
 */
export function clipSeasonalOutliers(values: readonly number[], period: number, halfWindow = 15, k = 6): { values: number[]; clipped: number } {
  if (values.length <= period) return clipOutliers(values, halfWindow, k);
  const head = clipOutliers(values.slice(0, period), halfWindow, k);
  const out = head.values.concat(values.slice(period));
  let clipped = head.clipped;
  const log = (v: number) => Math.log1p(Math.max(0, v));
  const change = (i: number) => log(values[i]!) - log(values[i - period]!);
  const win: number[] = [];
  for (let i = period; i < values.length; i++) {
    win.length = 0;
    for (let j = Math.max(period, i - halfWindow); j <= Math.min(values.length - 1, i + halfWindow); j++) win.push(change(j));
    const med = median(win);
    for (let j = 0; j < win.length; j++) win[j] = Math.abs(win[j]! - med);
    const scale = Math.max(1.4826 * median(win), 0.02, 1e-9);
    if (Math.abs(change(i) - med) > k * scale) {
      out[i] = Math.expm1(log(out[i - period]!) + med);
      clipped++;
    }
  }
  return { values: out, clipped };
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Mean of each `size`-minute bucket; a trailing partial bucket is dropped. */
export function bucketMeans(values: readonly number[], size: number): number[] {
  const out: number[] = [];
  for (let i = 0; i + size <= values.length; i += size) {
    let s = 0;
    for (let j = i; j < i + size; j++) s += values[j]!;
    out.push(s / size);
  }
  return out;
}

/**
 * Bucket forecasts (bucket b covers minutes [b*size, (b+1)*size) after the
 * fitted history) back to minutes, linear between bucket centres, so the
 * scaler sees a ramp rather than steps.
 */
export function bucketsToMinutes(buckets: readonly number[], size: number, lastObserved: number, minutes: number): number[] {
  const out = new Array<number>(minutes);
  const centre = (size - 1) / 2;
  for (let m = 0; m < minutes; m++) {
    const pos = (m - centre) / size;
    if (pos < 0) {
      // Between the last observed bucket (centre at -size+centre) and the first forecast bucket.
      const t = (m + size - centre) / size;
      out[m] = lastObserved + (buckets[0]! - lastObserved) * t;
      continue;
    }
    const b = Math.floor(pos);
    const a = buckets[Math.min(b, buckets.length - 1)]!;
    const c = buckets[Math.min(b + 1, buckets.length - 1)]!;
    out[m] = a + (c - a) * (pos - b);
  }
  return out;
}

/**
 * A holiday calendar for a series of `size`-minute buckets from epoch minute
 * `first`: a holiday (UTC day numbers, minute / 1440) is taken for the weekend
 * day it resembles. `lift[p]` is, per bucket of the day, the mean change on
 * the log(1 + y) scale from weekend days to ordinary weekdays in the series
 * (smoothed over ±1 h); a holiday's buckets are lifted by it to the level of
 * a weekday before the model sees them, and a forecast bucket that falls on a
 * holiday is lowered by it. Without a calendar the holiday lowers the
 * model's level and the day after it comes in far above its forecast. Null
 * when the series has no holiday in it or ahead, or lacks a weekday or a
 * weekend day to compare.
 */
export function holidayLift(buckets: readonly number[], first: number, size: number, holidays: ReadonlySet<number>): number[] | null {
  if (!holidays.size) return null;
  const perDay = 1440 / size;
  const sum = { weekday: new Float64Array(perDay), weekend: new Float64Array(perDay) };
  const count = { weekday: new Float64Array(perDay), weekend: new Float64Array(perDay) };
  for (let b = 0; b < buckets.length; b++) {
    const minute = first + b * size;
    const k = dayKind(minute, holidays);
    if (k === 'holiday') continue;
    const p = Math.floor((minute % 1440) / size);
    sum[k][p]! += Math.log1p(Math.max(0, buckets[b]!));
    count[k][p]! += 1;
  }
  const diff = new Float64Array(perDay);
  for (let p = 0; p < perDay; p++) {
    if (!count.weekday[p] || !count.weekend[p]) return null;
    diff[p] = sum.weekday[p]! / count.weekday[p]! - sum.weekend[p]! / count.weekend[p]!;
  }
  const half = Math.max(1, Math.round(60 / size));
  return Array.from({ length: perDay }, (_, p) => {
    let s = 0;
    for (let d = -half; d <= half; d++) s += diff[(p + d + perDay) % perDay]!;
    return s / (2 * half + 1);
  });
}

/** Saturday and Sunday (UTC) are the weekend; a day in `holidays` (UTC day numbers) is a holiday. */
export function dayKind(minute: number, holidays: ReadonlySet<number>): 'holiday' | 'weekend' | 'weekday' {
  const day = Math.floor(minute / 1440);
  if (holidays.has(day)) return 'holiday';
  return (day + 3) % 7 >= 5 ? 'weekend' : 'weekday'; // epoch day 0 was a Thursday
}
