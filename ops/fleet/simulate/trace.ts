import fs from 'node:fs';
import { seededRandom } from '../../load/stats';

/**
 * Demand traces for the simulation: per minute and hardware class, runs and
 * CPU seconds. The default trace is generated from the design brief: ~1M
 * daily users, 80% of the day's runs inside a 4-hour peak at ~2,220 runs/s,
 * quiet nights, weekends at 45%, a school-hours bump on weekdays, one holiday
 * and one surprise spike that no history contains. A trace can also be read
 * from CSV (`minute,hardware_class,runs,cpu_seconds`).
 */
export interface TraceRow { minute: number; hardwareClass: string; runs: number; cpuSeconds: number }

/** Rows by class, dense from `start` (epoch minutes); minute i of class c is `classes[c][i]`. */
export interface Trace {
  start: number;
  minutes: number;
  classes: Record<string, { runs: Float64Array; cpuSeconds: Float64Array }>;
  /** Named events in the trace (holiday, spike), for the report. */
  events: { minute: number; label: string }[];
}

export interface GenerateOptions {
  /** Days of trace, history included. */
  days: number;
  /** Epoch minute of the first minute (a Monday 00:00 UTC by default). */
  start?: number;
  /** Fraction of the brief's scale (1 = 2,220 runs/s at peak). */
  scale?: number;
  peakRunsPerSecond?: number;
  meanCpuSeconds?: number;
  /** Share of runs per hardware class. */
  classShares?: Record<string, number>;
  /** Day index of the holiday (a weekday that looks like a weekend) and of the surprise spike; -1 for none. */
  holidayDay?: number;
  spikeDay?: number;
  seed?: number;
}

const DAY = 1440;
export const DEFAULT_START = Date.UTC(2026, 10, 2) / 60000; // Monday 2 November 2026

/**
 * Relative demand at minute-of-day `m`: `peak` is the evening peak (plateau
 * 16:30–19:30 UTC, one-hour cosine shoulders), `offPeak` the rest of the day
 * (a night trough at 04:00, daytime activity, school hours 08:00–15:00 on
 * school days). The generator weighs them so that 80% of a working day's
 * runs fall inside 16:00–20:00.
 */
export function dailyShape(m: number, schoolDay: boolean): { peak: number; offPeak: number } {
  const h = m / 60;
  const d = Math.abs(h - 18); // distance from the peak's centre
  const peak = d <= 1.5 ? 1 : d < 2.5 ? 0.5 + 0.5 * Math.cos(Math.PI * (d - 1.5)) : 0;
  const offPeak = 0.25 + 0.75 * Math.max(0, Math.sin((Math.PI * (h - 5)) / 19)) ** 1.5 + (schoolDay && h >= 8 && h < 15 ? 0.35 * Math.sin((Math.PI * (h - 8)) / 7) : 0);
  return { peak, offPeak };
}

export function generateTrace(o: GenerateOptions): Trace {
  const start = o.start ?? DEFAULT_START;
  const scale = o.scale ?? 1;
  const peakRate = (o.peakRunsPerSecond ?? 2220) * scale * 60;
  const meanCpu = o.meanCpuSeconds ?? 10;
  const shares = o.classShares ?? { x86_64: 0.9, arm64: 0.1 };
  const holiday = o.holidayDay ?? (o.days > 17 ? 17 : -1);
  const spike = o.spikeDay ?? (o.days > 22 ? 22 : -1);
  const rand = seededRandom(o.seed ?? 1);
  // Off-peak weight so that 80% of a working day's runs fall inside the peak window.
  // With weight w: inside = P_in + w·O_in, total = P + w·O; inside = 0.8·total gives w.
  const sums = { pIn: 0, p: 0, oIn: 0, o: 0 };
  for (let m = 0; m < DAY; m++) {
    const s = dailyShape(m, true);
    const inside = m >= 16 * 60 && m < 20 * 60;
    sums.p += s.peak;
    sums.o += s.offPeak;
    if (inside) (sums.pIn += s.peak), (sums.oIn += s.offPeak);
  }
  const offWeight = (sums.pIn - 0.8 * sums.p) / (0.8 * sums.o - sums.oIn);
  let top = 0;
  for (let m = 0; m < DAY; m++) {
    const s = dailyShape(m, true);
    top = Math.max(top, s.peak + offWeight * s.offPeak);
  }
  const minutes = o.days * DAY;
  const classes: Trace['classes'] = {};
  for (const hw of Object.keys(shares)) classes[hw] = { runs: new Float64Array(minutes), cpuSeconds: new Float64Array(minutes) };
  const events: Trace['events'] = [];
  if (holiday >= 0) events.push({ minute: start + holiday * DAY, label: 'holiday' });
  const spikeStart = spike >= 0 ? start + spike * DAY + 11 * 60 : -1;
  if (spike >= 0) events.push({ minute: spikeStart, label: 'surprise spike (+60% for 45 min)' });
  for (let i = 0; i < minutes; i++) {
    const minute = start + i;
    const day = Math.floor(i / DAY);
    const dow = Math.floor(minute / DAY + 3) % 7; // 0 = Monday (epoch day 0 was a Thursday)
    const weekend = dow >= 5 || day === holiday;
    const s = dailyShape(minute % DAY, !weekend);
    let rate = (peakRate * (s.peak + offWeight * s.offPeak) * (weekend ? 0.45 : 1)) / top;
    if (spikeStart >= 0 && minute >= spikeStart && minute < spikeStart + 45) rate *= 1.6;
    for (const [hw, share] of Object.entries(shares)) {
      const runs = poisson(rate * share, rand);
      classes[hw]!.runs[i] = runs;
      // The sum of `runs` service times of mean meanCpu and cv 1 is close to normal with sd meanCpu·√runs.
      classes[hw]!.cpuSeconds[i] = Math.max(0, runs * meanCpu + meanCpu * Math.sqrt(runs) * gauss(rand));
    }
  }
  return { start, minutes, classes, events };
}

/** Reads `minute,hardware_class,runs,cpu_seconds` (minute: epoch minutes or an ISO time); bad rows are errors with their line. */
export function readTraceCsv(file: string): Trace {
  const rows: TraceRow[] = [];
  const lines = fs.readFileSync(file, 'utf8').split(/\r?\n/);
  lines.forEach((line, n) => {
    if (!line.trim() || (n === 0 && /minute/i.test(line))) return;
    const [m, hw, runs, cpu] = line.split(',').map((x) => x.trim());
    const minute = /^\d+$/.test(m ?? '') ? Number(m) : Math.floor(Date.parse(m ?? '') / 60000);
    if (!Number.isFinite(minute) || !hw || !Number.isFinite(Number(runs)) || !Number.isFinite(Number(cpu)) || Number(runs) < 0 || Number(cpu) < 0) {
      throw new TraceError(`line ${n + 1} of ${file} is not minute,hardware_class,runs,cpu_seconds: ${line.slice(0, 80)}`);
    }
    rows.push({ minute, hardwareClass: hw, runs: Number(runs), cpuSeconds: Number(cpu) });
  });
  return traceFromRows(rows);
}

export function traceFromRows(rows: readonly TraceRow[]): Trace {
  if (!rows.length) throw new TraceError('the trace has no rows');
  const start = Math.min(...rows.map((r) => r.minute));
  const minutes = Math.max(...rows.map((r) => r.minute)) - start + 1;
  const classes: Trace['classes'] = {};
  for (const r of rows) {
    const c = (classes[r.hardwareClass] ??= { runs: new Float64Array(minutes), cpuSeconds: new Float64Array(minutes) });
    c.runs[r.minute - start]! += r.runs;
    c.cpuSeconds[r.minute - start]! += r.cpuSeconds;
  }
  return { start, minutes, classes, events: [] };
}

export class TraceError extends Error {
  readonly code = 'bad_trace';
}

export function gauss(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

/** Poisson by inversion for small means, normal approximation above 50. */
export function poisson(mean: number, rand: () => number): number {
  if (mean <= 0) return 0;
  if (mean > 50) return Math.max(0, Math.round(mean + Math.sqrt(mean) * gauss(rand)));
  const l = Math.exp(-mean);
  let k = 0;
  let p = 1;
  do {
    k++;
    p *= rand();
  } while (p > l);
  return k - 1;
}
