import { probabilityOfWait } from './erlang-c';

/**
 * The fleet model of the simulation, one minute at a time per hardware
 * class: a queue in front of c run slots, stepped through the minute in
 * STEP_SECONDS steps. Its state is the runs in the system per arrival
 * minute (a cohort with its own mean service time), oldest first: the
 * oldest c are in service, the rest queue (FIFO).
 *
 * Runs that do not queue in the fluid (fewer in the system than slots)
 * wait as Erlang C says (M/G/c by Allen–Cunneen) for the runs in the system
 * at that moment — the modified offered load of time-varying queues, the
 * number an infinite-server system would hold (Jagerman; Massey & Whitt),
 * not the minute's arrivals × service time: a queue answers to the runs it
 * holds, which follow demand one service time late, so a minute whose
 * arrivals or service times come in high does not get the steady-state
 * waits of that load (those take minutes to build near saturation; sized
 * that way the model was 27–39% pessimistic under light queueing). Runs
 * that arrive while the fluid holds more than c queue behind those ahead
 * of them and wait for them to be served (uniform between the queue's
 * waits at the step's start and end) by the slots of this minute and, for a
 * wait that outlasts it, of the minutes after (`SlotsAhead`: a fleet that is
 * growing serves a long queue faster than its current slots would).
 * ops/fleet/simulate/des.ts checks this run by run. It lives here, below
 * ops, because the ops scaling report's oracle (oracle.ts) plans with it as
 * the simulation's does.
 */
export interface MinuteLoad { runs: number; cpuSeconds: number }

/** A minute's wait distribution: a mixture of Erlang C parts, uniform (fluid) parts and tabled CDFs (ops/fleet/simulate/chain-model.ts). */
export interface WaitMix {
  parts: ({ kind: 'erlang'; weight: number; pWait: number; theta: number } | { kind: 'uniform'; weight: number; lo: number; hi: number } | { kind: 'table'; weight: number; cdf: Float64Array; mean: number })[];
}

/** Wait-distribution edges in seconds: 0, then log-spaced from 1 ms to 10⁵ s (20 per decade); a 'table' part is its CDF on them. */
export const WAIT_EDGES: readonly number[] = [0, ...Array.from({ length: 161 }, (_, i) => 0.001 * 10 ** (i / 20))];

/**
 * The queue's state: runs in the system (waiting or in service, a fluid
 * mean) and the mean service time of the runs in it (ops/fleet/simulate/chain-model.ts
 * adds their distribution).
 */
export interface QueueState { inSystem: number; service: number }
export const emptyQueue = (): QueueState => ({ inSystem: 0, service: 10 });

export interface MinuteResult { backlogEnd: number; waits: WaitMix; busySlots: number; state: QueueState }

const STEP_SECONDS = 15;

/** The slots k minutes after this one (k ≥ 1), as far as they are known; without it, this minute's slots. */
export type SlotsAhead = (k: number) => number;

/** How many minutes ahead a fluid wait is followed; beyond, the slots of the last of them serve the rest. */
const AHEAD_MINUTES = 240;

/**
 * Seconds until the q runs ahead of an arrival at second t of the minute are
 * served, at service time S per run, by this minute's slots and then each
 * coming minute's (FIFO: the wait ends when the slots have served them).
 * With `jumps` (ops/fleet/simulate/chain-model.ts), a slot added at a minute's start takes a
 * queued run at once and a removed one takes none until the runs above the
 * new count have finished (one fewer start).
 */
export function fluidWait(q: number, t: number, slots: number, service: number, ahead?: SlotsAhead, jumps = false): number {
  if (q <= 0) return 0;
  let wait = 0;
  let c = slots;
  let left = 60 - t;
  for (let k = 1; k <= AHEAD_MINUTES; k++) {
    const served = (left * c) / service;
    if (c > 0 && q <= served) return wait + (q * service) / c;
    q -= served;
    wait += left;
    left = 60;
    const next = ahead ? ahead(k) : slots;
    if (jumps) {
      q -= next - c;
      if (q <= 0) return wait;
    }
    c = next;
  }
  return c > 0 ? wait + (q * service) / c : 86400;
}

/**
 * The utilisation ρ at which a steady M/M/c queue holds x runs on average
 * (cρ in service plus Erlang C's queue, C·ρ/(1 − ρ)); x/c when that queue
 * is under a thousandth of x. Regula falsi (Illinois) on the bracket.
 */
export function equivalentUtilisation(c: number, x: number): number {
  if (x <= 0 || c <= 0) return 0;
  const f = (rho: number) => c * rho + (probabilityOfWait(c, c * rho) * rho) / (1 - rho) - x;
  let hi = Math.min(x / c, 1 - 1e-9);
  let fhi = f(hi);
  if (fhi <= 1e-3 * x) return hi;
  let lo = 0;
  let flo = -x;
  let side = 0;
  for (let i = 0; i < 60; i++) {
    const mid = hi - (fhi * (hi - lo)) / (fhi - flo);
    const fm = f(mid);
    if (Math.abs(fm) <= 1e-4 * x || hi - lo < 1e-12) return mid;
    if (fm > 0) {
      (hi = mid), (fhi = fm);
      if (side === 1) flo /= 2;
      side = 1;
    } else {
      (lo = mid), (flo = fm);
      if (side === -1) fhi /= 2;
      side = -1;
    }
  }
  return (lo + hi) / 2;
}

export function simulateMinute(slots: number, load: MinuteLoad, before: QueueState, serviceCv2 = 1, ahead?: SlotsAhead): MinuteResult {
  const runs = load.runs;
  const k = (1 + serviceCv2) / 2;
  const lambda = runs / 60;
  const parts: WaitMix['parts'] = [];
  let x = before.inSystem;
  // The service time of what is in the system: the runs already there at theirs, the new ones at the minute's.
  let service = runs > 0 ? load.cpuSeconds / runs : before.service;
  if (runs > 0 && x > 0) service = (x * before.service + runs * service) / (x + runs);
  let busyTime = 0;
  let rho = x >= slots ? 1 : equivalentUtilisation(slots, x);
  for (let t = 0; t < 60; t += STEP_SECONDS) {
    const h = STEP_SECONDS;
    const x0 = x;
    const rho0 = rho;
    // Pointwise stationary fluid flow (Wang, Perry & Nelson): below the slots, the runs in the system x drain at
    // the rate of the utilisation a steady queue holding as many would have, dx/dt = λ − c·ρ(x)/S (integrated
    // with its queue part held over the step: x relaxes towards λS + that queue with time constant S), so a queue
    // builds over minutes near saturation, not at once; above the slots, a fluid queue that moves at λ − c/S.
    if (x0 >= slots) x = Math.max(0, x0 + (lambda - slots / service) * h);
    else {
      const target = lambda * service + (x0 - slots * rho0);
      x = target + (x0 - target) * Math.exp(-h / service);
    }
    rho = x >= slots ? 1 : equivalentUtilisation(slots, x);
    busyTime += ((slots * (rho0 + rho)) / 2) * h;
    if (runs <= 0) continue;
    const weight = (lambda * h) / runs;
    if (slots <= 0) parts.push({ kind: 'uniform', weight, lo: 86400, hi: 86400 });
    else if (x0 >= slots || x >= slots) {
      // Behind the fluid queue, served by the slots of this minute and the coming ones.
      const lo = fluidWait(Math.max(0, x0 - slots), t, slots, service, ahead);
      push(parts, { kind: 'uniform', weight, lo, hi: fluidWait(Math.max(0, x - slots), t + h, slots, service, ahead) });
    } else {
      // Erlang C (Allen–Cunneen) at the utilisation of a steady queue holding the runs in the system now.
      const m = (rho0 + rho) / 2;
      push(parts, { kind: 'erlang', weight, pWait: probabilityOfWait(slots, slots * m), theta: (slots * (1 - m)) / (service * k) });
    }
  }
  const backlogEnd = Math.max(0, x - slots * rho);
  return { backlogEnd, waits: { parts }, busySlots: busyTime / 60, state: { inSystem: x, service } };
}

/** Adds a part, merged into the last one when they are alike (fewer parts keep the histograms fast). */
function push(parts: WaitMix['parts'], p: WaitMix['parts'][number]): void {
  const last = parts[parts.length - 1];
  if (last && last.kind === 'uniform' && p.kind === 'uniform' && Math.abs(last.hi - p.lo) <= 0.05 * Math.max(last.hi, p.lo, 1e-3) && (last.hi - last.lo) * (p.hi - p.lo) >= 0) {
    // The queue kept growing (or shrinking): one uniform from the first start to the last end.
    (last.hi = p.hi), (last.weight += p.weight);
    return;
  }
  if (last && last.kind === 'erlang' && p.kind === 'erlang' && Math.abs(last.pWait - p.pWait) <= 0.01 * Math.max(last.pWait, 1e-3) && Math.abs(last.theta - p.theta) <= 0.01 * last.theta) {
    last.weight += p.weight;
    return;
  }
  parts.push(p);
}

/** P(wait ≤ t) under a minute's mixture. */
export function waitCdf(w: WaitMix, t: number): number {
  let p = 0;
  let total = 0;
  for (const part of w.parts) {
    total += part.weight;
    if (part.kind === 'erlang') p += part.weight * (1 - Math.min(1, part.pWait) * Math.exp(-part.theta * t));
    else if (part.kind === 'table') p += part.weight * tableCdf(part.cdf, t);
    else p += part.weight * (part.hi <= part.lo ? (t >= part.lo ? 1 : 0) : Math.min(1, Math.max(0, (t - part.lo) / (part.hi - part.lo))));
  }
  return total > 0 ? p / total : 1;
}

/** A CDF tabled on WAIT_EDGES at t, linear between edges. */
function tableCdf(cdf: Float64Array, t: number): number {
  if (t <= 0) return cdf[0]!;
  const x = 1 + 20 * Math.log10(t / 0.001);
  if (x < 1) return cdf[0]! + (t / 0.001) * (cdf[1]! - cdf[0]!);
  const i = Math.floor(x);
  if (i >= cdf.length - 1) return cdf[cdf.length - 1]!;
  const a = WAIT_EDGES[i]!;
  const f = Math.min(1, Math.max(0, (t - a) / (WAIT_EDGES[i + 1]! - a)));
  return cdf[i]! + f * (cdf[i + 1]! - cdf[i]!);
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
    s += part.weight * (part.kind === 'erlang' ? Math.min(1, part.pWait) / part.theta : part.kind === 'table' ? part.mean : (part.lo + part.hi) / 2);
  }
  return total > 0 ? s / total : 0;
}

/**
 * Wait percentiles over many minutes, weighted by their runs: CDFs summed at
 * fixed edges (0, then log-spaced from 1 ms to a day), read by interpolation.
 */
export class WaitHistogram {
  private static readonly edges = WAIT_EDGES;
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
