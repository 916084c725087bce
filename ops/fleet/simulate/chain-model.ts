import { advance, bandFor, chainRates, defaultChainOptions, moments, poissonCdf, poissonCells, rebin, support, type ChainDist, type ChainOptions } from './chain';
import { WAIT_EDGES, fluidWait, type MinuteLoad, type MinuteResult, type QueueState, type SlotsAhead, type WaitMix } from '../../../analytics/forecast/queue-model';

/**
 * A candidate fleet model, not yet the simulation's (validateModel's
 * `model: 'chain'`; decision doc): the distribution of the number of runs in
 * the system N carried from minute to minute as a birth–death chain
 * (chain.ts: M/M/c with the minute's arrival rate and the mean service time
 * of the runs in the system). A run that arrives finding n ≥ c runs in the
 * system waits for n − c + 1 starts: completions at rate c/S (a Poisson
 * number) plus the slots added meanwhile, with the slots of this minute and
 * of the minutes after (`SlotsAhead`). Arrivals see the time-average of the
 * minute's distributions (Poisson arrivals). Drive it at the demand rate
 * (demand.ts), not at a trace's counts: its arrivals are Poisson already.
 *
 * Far below the slots the chain is M/M/∞, whose N from a Poisson start stays
 * Poisson with a mean that relaxes towards λS with time constant S: there
 * the state is that mean alone and no run waits (cheap at seed scale).
 */

/** How many minutes ahead a wait is followed; beyond, the slots of the last of them serve the rest. */
const AHEAD_MINUTES = 240;

/** The fluid model's state with the distribution of the runs in the system (absent far below the slots). */
export interface ChainQueueState extends QueueState { dist?: ChainDist }
export interface ChainMinuteResult extends MinuteResult { state: ChainQueueState }

/** Seconds until the q runs ahead of an arrival at second t are served (fluidWait with the slots' jumps). */
export const queueWait = (q: number, t: number, slots: number, service: number, ahead?: SlotsAhead): number => fluidWait(q, t, slots, service, ahead, true);

/**
 * Starts in the w seconds after second t of the minute for runs that queue:
 * completions at rate c/S with every slot busy (a Poisson number, this mean)
 * and the net change in slots by then (taken or withheld at once).
 */
export function startsWithin(w: number, t: number, slots: number, service: number, ahead?: SlotsAhead): { completions: number; slotChange: number } {
  let done = 0;
  let c = slots;
  let left = 60 - t;
  for (let k = 1; w > left; k++) {
    done += (left * c) / service;
    w -= left;
    left = 60;
    if (k <= AHEAD_MINUTES) c = ahead ? ahead(k) : slots;
  }
  return { completions: done + (w * c) / service, slotChange: c - slots };
}

/**
 * The wait CDF on WAIT_EDGES (and the mean) of runs arriving at second t into
 * the distribution d: null when none of them waits.
 */
function waitTable(d: ChainDist, c: number, service: number, t: number, ahead?: SlotsAhead): { cdf: Float64Array; mean: number } | null {
  const { lo, g, p } = d;
  // Cells are aligned on c (bandFor): from i0 on, every state is at or above it.
  const i0 = Math.max(0, Math.ceil((c - lo) / g));
  let waiting = 0;
  for (let i = i0; i < p.length; i++) waiting += p[i]!;
  if (waiting < NEGLIGIBLE) return null;
  // Runs ahead of an arrival in cell i (the cell's mean), and the mean wait: n − c + 1 completions.
  const ahead0 = lo + (g - 1) / 2 - c;
  let mean = 0;
  for (let i = i0; i < p.length; i++) if (p[i]! > 0) mean += p[i]! * queueWait(ahead0 + i * g + 1, t, c, service, ahead);
  const cdf = new Float64Array(WAIT_EDGES.length);
  cdf[0] = 1 - waiting;
  for (let j = 1; j < cdf.length; j++) {
    const starts = startsWithin(WAIT_EDGES[j]!, t, c, service, ahead);
    const F = poissonCdf(starts.completions);
    let longer = 0;
    for (let i = i0; i < p.length; i++) if (p[i]! > 0) longer += p[i]! * F(ahead0 + i * g - starts.slotChange);
    cdf[j] = 1 - longer;
    if (longer < NEGLIGIBLE) {
      cdf.fill(1, j);
      break;
    }
  }
  return { cdf, mean };
}

/** Below this, a probability is 0 for the model (a wait nobody has, a state nobody is in). */
const NEGLIGIBLE = 1e-12;

export function simulateChainMinute(slots: number, load: MinuteLoad, before: ChainQueueState, serviceCv2 = 1, ahead?: SlotsAhead, chain: ChainOptions = defaultChainOptions): ChainMinuteResult {
  const runs = load.runs;
  const lambda = runs / 60;
  const c = Math.max(0, Math.round(slots));
  const x0 = before.inSystem;
  // The service time of what is in the system: the runs already there at theirs, the new ones at the minute's.
  let service = runs > 0 ? load.cpuSeconds / runs : before.service;
  if (runs > 0 && x0 > 0) service = (x0 * before.service + runs * service) / (x0 + runs);
  if (!(service > 0)) service = before.service > 0 ? before.service : 10;
  const zeroWait: WaitMix = { parts: runs > 0 ? [{ kind: 'uniform', weight: 1, lo: 0, hi: 0 }] : [] };
  const offered = lambda * service;
  if (!before.dist) {
    // M/M/∞ far below the slots: Poisson, its mean relaxing towards λS.
    const decay = Math.exp(-60 / service);
    const end = offered + (x0 - offered) * decay;
    const top = Math.max(x0, end);
    if (c >= top + 8 * Math.sqrt(top) + 8) {
      const busy = offered + ((x0 - offered) * service * (1 - decay)) / 60;
      return { backlogEnd: 0, waits: zeroWait, busySlots: busy, state: { inSystem: end, service } };
    }
  }
  const from = before.dist ? { ...moments(before.dist, c), ...support(before.dist) } : { mean: x0, variance: x0, first: Math.max(0, Math.floor(x0 - 8 * Math.sqrt(x0) - 8)), last: Math.ceil(x0 + 8 * Math.sqrt(x0) + 8) };
  const band = bandFor(from, lambda, service, c, chain);
  const start = before.dist ? rebin(before.dist, band.lo, band.g, band.cells) : poissonCells(x0, band.lo, band.g, band.cells);
  const rates = chainRates(band, lambda, service, c);
  const cells = (p: Float64Array): ChainDist => ({ lo: band.lo, g: band.g, p });
  // Each quarter of the minute: where it ends and its time-average distribution (what its arrivals see).
  const quarters: Float64Array[] = [];
  let end = start.p;
  for (let j = 0; j < 4; j++) {
    const q = advance(end, rates, 15);
    quarters.push(q.average);
    end = q.end;
  }
  const whole = new Float64Array(band.cells);
  for (const q of quarters) for (let i = 0; i < whole.length; i++) whole[i]! += q[i]! / 4;
  const busySlots = moments(cells(whole), c).busy;
  const after = moments(cells(end), c);
  let state: ChainQueueState = { inSystem: after.mean, service, dist: cells(end) };
  // Back to the Poisson state once the chain is far below the slots again.
  if (after.pAtLeast < NEGLIGIBLE && c >= after.mean + 8 * Math.sqrt(after.mean) + 8) state = { inSystem: after.mean, service };
  if (runs <= 0) return { backlogEnd: after.queued, waits: { parts: [] }, busySlots, state };
  // Waits: one table from the minute's average when the slots a wait can reach are this minute's; else one per quarter.
  const serviceK = service * ((1 + serviceCv2) / 2);
  const reach = queueWait(band.lo + band.g * band.cells - c + 1, 0, c, serviceK, ahead);
  let steady = true;
  if (ahead) for (let k = 1; k <= Math.min(AHEAD_MINUTES, Math.ceil(reach / 60) + 1) && steady; k++) steady = ahead(k) === c;
  const tables = steady ? [waitTable(cells(whole), c, serviceK, 0, ahead)] : quarters.map((q, j) => waitTable(cells(q), c, serviceK, 15 * j + 7.5, ahead));
  if (tables.every((t) => t === null)) return { backlogEnd: after.queued, waits: zeroWait, busySlots, state };
  const cdf = new Float64Array(WAIT_EDGES.length);
  let mean = 0;
  for (const t of tables) {
    const w = 1 / tables.length;
    if (t === null) for (let i = 0; i < cdf.length; i++) cdf[i]! += w;
    else {
      for (let i = 0; i < cdf.length; i++) cdf[i]! += w * t.cdf[i]!;
      mean += w * t.mean;
    }
  }
  return { backlogEnd: after.queued, waits: { parts: [{ kind: 'table', weight: 1, cdf, mean }] }, busySlots, state };
}

