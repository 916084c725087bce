import { probabilityOfWait } from '../../../analytics/forecast/erlang-c';

/**
 * The fleet model of the simulation, one minute at a time per hardware
 * class: a queue in front of c run slots. When the slots keep up and nothing
 * is queued, the minute's waits follow Erlang C (M/G/c by Allen–Cunneen);
 * when runs queue (c below the offered load, or a backlog left from earlier
 * minutes), the queue moves as a fluid — it grows or drains at the
 * difference between arrivals and service rate, and a run waits for those
 * ahead of it. des.ts checks this against a run-by-run simulation.
 */
export interface MinuteLoad { runs: number; cpuSeconds: number }

/** A minute's wait distribution: a mixture of an Erlang C part and uniform (fluid) parts. */
export interface WaitMix {
  parts: ({ kind: 'erlang'; weight: number; pWait: number; theta: number } | { kind: 'uniform'; weight: number; lo: number; hi: number })[];
}

export interface MinuteResult { backlogEnd: number; waits: WaitMix; busySlots: number }

export function simulateMinute(slots: number, load: MinuteLoad, backlog: number, serviceCv2 = 1): MinuteResult {
  const runs = load.runs;
  const service = runs > 0 ? load.cpuSeconds / runs : 10;
  const mu = slots / service; // runs served per second at full use
  const lambda = runs / 60;
  const a = lambda * service;
  const k = (1 + serviceCv2) / 2;
  if (runs <= 0 && backlog <= 0) return { backlogEnd: 0, waits: { parts: [] }, busySlots: 0 };
  if (slots <= 0) {
    const end = backlog + runs;
    return { backlogEnd: end, waits: { parts: [{ kind: 'uniform', weight: 1, lo: 86400, hi: 86400 }] }, busySlots: 0 };
  }
  const erlang = (weight: number) => ({ kind: 'erlang' as const, weight, pWait: probabilityOfWait(slots, a), theta: (slots - a) / (service * k) });
  if (backlog <= 0 && a < slots) return { backlogEnd: 0, waits: { parts: [erlang(1)] }, busySlots: a };
  const w0 = backlog / mu;
  if (lambda >= mu) {
    const end = backlog + (lambda - mu) * 60;
    return { backlogEnd: end, waits: { parts: [{ kind: 'uniform', weight: 1, lo: w0, hi: end / mu }] }, busySlots: slots };
  }
  // Draining: the backlog is gone after tau seconds; arrivals before then wait for what is left of it.
  const tau = backlog / (mu - lambda);
  if (tau >= 60) {
    const end = backlog - (mu - lambda) * 60;
    return { backlogEnd: end, waits: { parts: [{ kind: 'uniform', weight: 1, lo: end / mu, hi: w0 }] }, busySlots: slots };
  }
  const f = tau / 60;
  return { backlogEnd: 0, waits: { parts: [{ kind: 'uniform', weight: f, lo: 0, hi: w0 }, erlang(1 - f)] }, busySlots: f * slots + (1 - f) * a };
}

/** P(wait ≤ t) under a minute's mixture. */
export function waitCdf(w: WaitMix, t: number): number {
  let p = 0;
  let total = 0;
  for (const part of w.parts) {
    total += part.weight;
    if (part.kind === 'erlang') p += part.weight * (1 - Math.min(1, part.pWait) * Math.exp(-part.theta * t));
    else p += part.weight * (part.hi <= part.lo ? (t >= part.lo ? 1 : 0) : Math.min(1, Math.max(0, (t - part.lo) / (part.hi - part.lo))));
  }
  return total > 0 ? p / total : 1;
}

/** The wait a share q of the minute's runs stays under (bisection on the CDF). */
export function waitQuantileOf(w: WaitMix, q: number): number {
  if (!w.parts.length || waitCdf(w, 0) >= q) return 0;
  let lo = 0;
  let hi = 1;
  while (waitCdf(w, hi) < q && hi < 1e7) hi *= 2;
  for (let i = 0; i < 50; i++) {
    const mid = (lo + hi) / 2;
    if (waitCdf(w, mid) < q) lo = mid;
    else hi = mid;
  }
  return hi;
}

export function meanWaitOf(w: WaitMix): number {
  let s = 0;
  let total = 0;
  for (const part of w.parts) {
    total += part.weight;
    s += part.weight * (part.kind === 'erlang' ? Math.min(1, part.pWait) / part.theta : (part.lo + part.hi) / 2);
  }
  return total > 0 ? s / total : 0;
}

/**
 * Wait percentiles over many minutes, weighted by their runs: CDFs summed at
 * fixed edges (0, then log-spaced from 1 ms to a day), read by interpolation.
 */
export class WaitHistogram {
  private static readonly edges = [0, ...Array.from({ length: 161 }, (_, i) => 0.001 * 10 ** (i / 20))];
  private readonly mass = new Float64Array(WaitHistogram.edges.length);
  private total = 0;
  private waitSum = 0;

  add(w: WaitMix, runs: number): void {
    if (runs <= 0 || !w.parts.length) return;
    const e = WaitHistogram.edges;
    for (let i = 0; i < e.length; i++) this.mass[i]! += runs * waitCdf(w, e[i]!);
    this.total += runs;
    this.waitSum += runs * meanWaitOf(w);
  }

  /** Adds another histogram's runs (the masses are additive). */
  merge(o: WaitHistogram): void {
    for (let i = 0; i < this.mass.length; i++) this.mass[i]! += o.mass[i]!;
    this.total += o.total;
    this.waitSum += o.waitSum;
  }

  quantile(q: number): number {
    const e = WaitHistogram.edges;
    const target = q * this.total;
    if (this.total === 0 || this.mass[0]! >= target) return 0;
    for (let i = 1; i < e.length; i++) {
      if (this.mass[i]! >= target) {
        const f = (target - this.mass[i - 1]!) / (this.mass[i]! - this.mass[i - 1]!);
        return e[i - 1]! + f * (e[i]! - e[i - 1]!);
      }
    }
    return e[e.length - 1]!;
  }

  mean(): number {
    return this.total ? this.waitSum / this.total : 0;
  }

  /** Share of runs that waited more than t seconds. */
  shareAbove(t: number): number {
    if (!this.total) return 0;
    const e = WaitHistogram.edges;
    let i = e.findIndex((x) => x >= t);
    if (i < 0) i = e.length - 1;
    return 1 - this.mass[i]! / this.total;
  }
}
