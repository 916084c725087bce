import { serversFor } from '../../../analytics/forecast/erlang-c';
import { simulateRuns } from './des';
import type { ChainOptions } from './chain';
import { demandOf } from './demand';
import { simulateChainMinute, type ChainQueueState } from './chain-model';
import { WaitHistogram, emptyQueue, simulateMinute, waitQuantileOf } from '../../../analytics/forecast/queue-model';
import { generateTrace, type Trace } from './trace';

/**
 * The minute model against the run-by-run simulation on the same trace and
 * the same capacity (`model`: the simulation's fluid model, or the chain
 * candidate of chain-model.ts): a capacity that follows demand `lagMinutes` late (as a
 * reactive fleet does, so queues build on every ramp). Returns both sets of
 * wait figures; the run-by-run figures are the mean over `seeds` runs (one
 * run's light-queueing waits move by ±30% from seed to seed at 1/100 scale,
 * while the model gives expected values).
 */
export interface WaitFigures { meanWait: number; p90: number; p99: number; shareOver1s: number; minutesP99Over1s: number }

export function validateModel(trace: Trace, cls: string, o: { lagMinutes: number; seeds?: number[]; service?: 'lognormal' | 'exponential'; model?: 'fluid' | 'chain'; chain?: ChainOptions }): { model: WaitFigures; runByRun: WaitFigures; slots: number[] } {
  const { runs, cpuSeconds } = trace.classes[cls]!;
  const slots: number[] = [];
  for (let i = 0; i < runs.length; i++) {
    const j = Math.max(0, i - o.lagMinutes);
    slots.push(runs[j]! > 0 ? serversFor({ arrivalsPerSecond: runs[j]! / 60, serviceSeconds: cpuSeconds[j]! / runs[j]! }, 1, 0.99) : 1);
  }
  const hist = new WaitHistogram();
  // The chain candidate (chain-model.ts) is driven at the demand behind the counts (demand.ts), the fluid model at the counts.
  const chain = o.model === 'chain';
  const demand = chain ? demandOf(runs, cpuSeconds) : { runs, cpuSeconds };
  let queue: ChainQueueState = emptyQueue();
  let over = 0;
  for (let i = 0; i < runs.length; i++) {
    const load = { runs: demand.runs[i]!, cpuSeconds: demand.cpuSeconds[i]! };
    const ahead = (k: number) => slots[Math.min(slots.length - 1, i + k)]!;
    const m = chain ? simulateChainMinute(slots[i]!, load, queue, 1, ahead, o.chain) : simulateMinute(slots[i]!, load, queue, 1, ahead);
    queue = m.state;
    hist.add(m.waits, runs[i]!);
    if (runs[i]! > 0 && waitQuantileOf(m.waits, 0.99) > 1) over++;
  }
  const model = { meanWait: hist.mean(), p90: hist.quantile(0.9), p99: hist.quantile(0.99), shareOver1s: hist.shareAbove(1), minutesP99Over1s: over };

  const seeds = o.seeds ?? [1, 2, 3, 4];
  const each = seeds.map((seed) => runByRunFigures(runs, simulateRuns({ runs, cpuSeconds, slots, seed, service: o.service })));
  const mean = (k: keyof WaitFigures) => each.reduce((s, f) => s + f[k], 0) / each.length;
  const runByRun: WaitFigures = { meanWait: mean('meanWait'), p90: mean('p90'), p99: mean('p99'), shareOver1s: mean('shareOver1s'), minutesP99Over1s: mean('minutesP99Over1s') };
  return { model, runByRun, slots };
}

function runByRunFigures(runs: ArrayLike<number>, waits: Float64Array): WaitFigures {
  // Per minute of arrival, for the minutes over the objective.
  let k = 0;
  let overDes = 0;
  for (let i = 0; i < runs.length; i++) {
    const n = Math.round(runs[i]!);
    if (n <= 0) continue;
    const w = Array.from(waits.subarray(k, k + n)).sort((a, b) => a - b);
    if (w[Math.min(n - 1, Math.floor(0.99 * n))]! > 1) overDes++;
    k += n;
  }
  const sorted = Float64Array.from(waits).sort();
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
  let sum = 0;
  let above = 0;
  for (const w of sorted) (sum += w), (above += w > 1 ? 1 : 0);
  return { meanWait: sum / sorted.length, p90: q(0.9), p99: q(0.99), shareOver1s: above / sorted.length, minutesP99Over1s: overDes };
}

/**
 * The validation's trace: one generated day at 1/100 of the seed scale (22 runs/s at peak), one class, from 14:00
 * (the afternoon ramp and the evening peak). Traces of other seeds differ by their Poisson draws.
 */
export function afternoonTrace(seed: number): Trace {
  const day = generateTrace({ days: 1, scale: 0.01, classShares: { x86_64: 1 }, holidayDay: -1, spikeDay: -1, seed });
  const c = day.classes.x86_64!;
  const from = 14 * 60;
  return { ...day, start: day.start + from, minutes: day.minutes - from, classes: { x86_64: { runs: c.runs.slice(from), cpuSeconds: c.cpuSeconds.slice(from) } } };
}

/** The run-by-run seed of trace `trace`'s replay number `seed`: a stream of its own per trace and seed. */
export const streamSeed = (trace: number, seed: number): number => 1000 * trace + seed;

/**
 * validateModel on the afternoons of several traces (`traces`, each replayed run by run with every seed of
 * `seeds`): the model's and the run-by-run figures, each the mean over the traces, and model/run-by-run − 1 per
 * trace. One trace's light-queueing figures move by tens of % with its draws, so a model is judged on the mean.
 */
export function validateOverTraces(lagMinutes: number, traces: number[], seeds: number[], model: 'fluid' | 'chain' = 'fluid'): { model: WaitFigures; runByRun: WaitFigures; perTrace: Record<keyof WaitFigures, number>[] } {
  const keys = ['meanWait', 'p90', 'p99', 'shareOver1s', 'minutesP99Over1s'] as const;
  const zero = (): WaitFigures => ({ meanWait: 0, p90: 0, p99: 0, shareOver1s: 0, minutesP99Over1s: 0 });
  const mod = zero();
  const des = zero();
  const perTrace: Record<keyof WaitFigures, number>[] = [];
  for (const t of traces) {
    // Each trace replayed with its own random streams: with the same seeds, traces whose counts differ by their draws
    // get nearly the same service times at the same moments (the stream only shifts by a few runs), so their
    // run-by-run figures moved together and the traces did not average each other's draws (session 11, later).
    const r = validateModel(afternoonTrace(t), 'x86_64', { lagMinutes, seeds: seeds.map((s) => streamSeed(t, s)), model });
    for (const k of keys) (mod[k] += r.model[k] / traces.length), (des[k] += r.runByRun[k] / traces.length);
    perTrace.push(Object.fromEntries(keys.map((k) => [k, r.model[k] / r.runByRun[k] - 1])) as Record<keyof WaitFigures, number>);
  }
  return { model: mod, runByRun: des, perTrace };
}
