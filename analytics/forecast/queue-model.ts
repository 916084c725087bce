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
 * that way the model was 27–39% pessimistic under light queueing). The
 * runs in the system follow the stationary flow on both sides of c (a
 * steady queue near saturation holds more runs than slots), with the
 * variability of a minute whose count is given (ARRIVAL_CV2, Allen–Cunneen).
 * A run's wait is a distribution, not a point: Erlang C's conditional wait
 * at the utilisation of the steady queue holding the runs in the system (some
 * runs wait nothing, the rest an exponential time), which, as the state goes
 * deep above the slots, gives way to the fluid wait behind the queue it holds
 * (uniform between the queue's waits at the step's start and end), served by
 * the slots of this minute and, for a wait that outlasts it, of the minutes
 * after (`SlotsAhead`: a fleet that is growing serves a long queue faster
 * than its current slots would).
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

/** Halfin–Whitt depth: a state more than DEEP·√c runs above the slots queues as a fluid (β under 0.1). */
const DEEP = 10;

/**
 * The depth above the slots, in √c, at which a run's wait is half the fluid wait behind the queue and half Erlang
 * C's conditional wait (the fluid's weight is depth/(depth + FLUID_HALF·√c)). 5 is fitted on the validation's traces
 * 1–4 (12 seeds each; decision doc, "Session 11, later"): at 10, the share over 1 s 2–3 minutes late came out short.
 */
const FLUID_HALF = 5;

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
 * The utilisation ρ at which a steady queue on c slots holds x runs on average
 * (cρ in service plus Erlang C's queue, C·ρ/(1 − ρ), scaled by the
 * variability v = (ca² + cs²)/2 as Allen–Cunneen scales the wait; v = 1 is
 * M/M/c); x/c when that queue is under a thousandth of x. From a guess, Newton
 * (and `out.heldSlope`, dx/dρ there); else regula falsi (Illinois) on the bracket.
 */
export function equivalentUtilisation(c: number, x: number, guess?: number, out?: { heldSlope: number }, v = 1): number {
  if (x <= 0 || c <= 0) return 0;
  // A queue deep above the slots (more than 10√c runs: Halfin–Whitt's β under 0.1) waits almost surely: with
  // C = 1 the root is closed-form, c·u² + (x − c + v)·u − v = 0 for u = 1 − ρ (it puts c·u, under 0.1√c, too few in service).
  if (x - c > DEEP * Math.sqrt(c)) {
    if (out) out.heldSlope = NaN;
    const b = x - c + v;
    return 1 - (2 * v) / (b + Math.sqrt(b * b + 4 * c * v));
  }
  const f = (rho: number) => c * rho + (v * probabilityOfWait(c, c * rho) * rho) / (1 - rho) - x;
  let hi = Math.min(x / c, 1 - 1e-9);
  let fhi = f(hi);
  if (out) out.heldSlope = NaN;
  if (fhi <= 1e-3 * x) return hi;
  // From a guess near the root (the step before's ρ): Newton on 1 − ρ in logs (the queue grows like 1/(1 − ρ)), a few steps.
  if (guess !== undefined && guess > 0 && guess < 1) {
    let u = 1 - guess;
    for (let i = 0; i < 8; i++) {
      const fu = f(1 - u);
      const e = 1e-4;
      const slope = (f(1 - u * Math.exp(e)) - fu) / e; // d f / d ln u
      if (!(slope < 0)) break;
      if (Math.abs(fu) <= 1e-4 * x) {
        if (out) out.heldSlope = -slope / u;
        return 1 - u;
      }
      u = Math.min(1, Math.max(1e-12, u * Math.exp(-fu / slope)));
    }
  }
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

/**
 * The arrival variability ca² of a minute whose count is given (the trace's,
 * which the run-by-run replay places at uniform times), as the queue sees it.
 * Such a process has no variance over long windows (its index of dispersion
 * falls from 1 within a few seconds to 0 over minutes), so a queue whose
 * fluctuations last longer than a minute meets smoother arrivals than Poisson;
 * run by run, a steady queue on 240 slots at ρ 0.93–0.97 fed such minutes waits
 * 0.53–0.61 of Erlang C's mean (ca² 0.05–0.2 by Allen–Cunneen). 0.15 is the value
 * at which the model meets the run-by-run waits on the validation's ramps, traces
 * 1–4 with 12 seeds each (decision doc, "Session 11, later"; 0.2 was fitted on 3
 * seeds that shared their random streams across traces, and ran 5–10% high on the
 * mean wait with 12); Hayward's peakedness of the same minutes (0.86, the thinning
 * over one service time) was too bursty by a fifth to a half.
 */
export const ARRIVAL_CV2 = 0.15;

export function simulateMinute(slots: number, load: MinuteLoad, before: QueueState, serviceCv2 = 1, ahead?: SlotsAhead): MinuteResult {
  // Allen–Cunneen's variability: a queue of such arrivals and service times holds (and waits) v times M/M/c's.
  const v = (ARRIVAL_CV2 + serviceCv2) / 2;
  // The service time of what is in the system: the runs already there at theirs, the new ones at the minute's.
  let service = load.runs > 0 ? load.cpuSeconds / load.runs : before.service;
  const c = slots;
  const runs = load.runs;
  const lambda = runs / 60;
  const parts: WaitMix['parts'] = [];
  let x = before.inSystem;
  if (runs > 0 && x > 0) service = (x * before.service + runs * service) / (x + runs);
  // Runs in a steady queue at utilisation r: c·r in service plus Erlang C's queue, scaled by v.
  const held = (r: number) => c * r + (v * probabilityOfWait(c, c * r) * r) / (1 - r);
  let busyTime = 0;
  // dx/dρ at the state, as the Newton solve for ρ found it (NaN: not solved by Newton, differenced below).
  const at = { heldSlope: NaN };
  let rho = equivalentUtilisation(c, x, Math.min(x / c, 0.999), at, v);
  for (let t = 0; t < 60; t += STEP_SECONDS) {
    const h = STEP_SECONDS;
    const x0 = x;
    const rho0 = rho;
    // Pointwise stationary fluid flow (Wang, Perry & Nelson) on both sides of the slots: the runs in the system x
    // drain at the rate of the utilisation a steady queue holding as many would have, dx/dt = (λS − c·ρ(x))/S.
    // Near saturation a steady queue holds more than c runs at ρ < 1, so the flow goes on through x = c instead of
    // switching to a queue drained at the full c/S (which held the model's queue shorter than the stochastic one).
    // An exponential Euler step, linear in x at x0 (dρ/dx = 1/held'(ρ)): the relaxation of a light queue (time
    // constant S) and the fluid growth of a long one (λ − c/S) in one step.
    if (c <= 0) x = x0 + lambda * h;
    else {
      const g = lambda * service - c * rho0;
      const d = Math.min(1e-4, (1 - rho0) / 4);
      // No queue to speak of (x = cρ): dρ/dx = 1/c; a deep one: the fluid, dρ/dx ≈ 0.
      const deep = x0 - c > DEEP * Math.sqrt(c);
      const light = x0 - c * rho0 <= 1e-3 * x0;
      const dxdr = Number.isFinite(at.heldSlope) ? at.heldSlope : (held(rho0 + d) - held(rho0)) / d;
      const slope = deep ? 1e-9 : light || rho0 <= 0 ? 1 : Math.min(1, Math.max(1e-9, c / dxdr));
      x = Math.max(0, x0 + (g / slope) * (1 - Math.exp((-slope * h) / service)));
    }
    rho = equivalentUtilisation(c, x, rho0 > 0 ? rho0 : Math.min(x / c, 0.999), at, v);
    busyTime += ((c * (rho0 + rho)) / 2) * h;
    if (runs <= 0) continue;
    const weight = (lambda * h) / runs;
    if (c <= 0) {
      parts.push({ kind: 'uniform', weight, lo: 86400, hi: 86400 });
      continue;
    }
    // Erlang C's conditional wait (Allen–Cunneen) at the utilisation of a steady queue holding the runs in the system:
    // a run waits with probability C, then an exponential time. Its state is a distribution about x (a run that finds
    // n ≥ c waits for the (n − c + 1)-th start), so runs arriving at the same mean state wait nothing or much longer.
    const m = (rho0 + rho) / 2;
    const erlang = { kind: 'erlang' as const, pWait: probabilityOfWait(c, c * m), theta: (c * (1 - m)) / (service * v) };
    const depth = (x0 + x) / 2 - c;
    if (depth <= 0) {
      push(parts, { ...erlang, weight });
      continue;
    }
    // Above the slots the steady distribution's spread gives way to the fluid's (a queue built by overload is narrow
    // about its mean): the share of the fluid wait behind the queue the state holds, served by the slots of this
    // minute and the coming ones, is the depth over depth plus FLUID_HALF·√c (a half at half the Halfin–Whitt depth).
    const fluid = depth / (depth + FLUID_HALF * Math.sqrt(c));
    const lo = fluidWait(Math.max(0, x0 - c * rho0), t, c, service, ahead);
    const hi = fluidWait(Math.max(0, x - c * rho), t + h, c, service, ahead);
    push(parts, { ...erlang, weight: weight * (1 - fluid) });
    push(parts, { kind: 'uniform', weight: weight * fluid, lo, hi });
  }
  const backlogEnd = Math.max(0, x - c * rho);
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

