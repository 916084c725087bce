import { LANGUAGES } from '../../runtimes/languages';

/**
 * Warm-pool sizes from the forecast per dependency set: a set about to get
 * busy is warm when its users arrive. A pool of n warm sandboxes refills
 * each taken one in the warm-start time T (starting a sandbox, in parallel
 * with the others), so the sandboxes being refilled are the busy servers of
 * an M/G/∞ queue: Poisson with mean λT, for arrivals λ per executor. A run
 * finds the pool empty when n or more are refilling, so the size is the
 * fewest n with P(Poisson(λT) ≥ n) ≤ 1 − hit target, for the busiest
 * forecast minute from now to the lookahead — never below what the last
 * minute's runs of the set need (a live floor for what no forecast saw) —
 * within a floor and a cap.
 * Pure: the scaler's minute loop (scaler-loop.ts) calls it and hands the
 * sizes to the executors (runtimes.pools) with the reasons.
 */
export interface WarmPoolConfig {
  /** Seconds to start one warm sandbox (the refill time of a taken one). */
  warmStartSeconds: number;
  /** Share of runs that should find a warm sandbox. */
  hitTarget: number;
  /** Floor and cap of every pool, per executor. */
  minSize: number;
  maxSize: number;
  /** Forecast minutes after now the sizes must cover (the next decision lands a minute later). */
  lookaheadMinutes: number;
}

export interface SetForecast { start: number; runs: readonly number[]; method: string }

export interface PoolSizeDecision {
  dependencySet: string;
  size: number;
  previous: number | null;
  /** Busiest forecast runs per minute in the window, the minute it falls in, and the arrivals per executor it means. */
  forecastRunsPerMinute: number | null;
  forecastMinute: number | null;
  arrivalsPerExecutorPerSecond: number | null;
  reason: 'forecast' | 'live' | 'min' | 'max' | 'no_forecast';
  explanation: string;
}

/** The dependency sets a warm pool (or a forking runtime) serves on a class: those of interpreted languages. */
export function pooledDependencySets(hardwareClass: string): string[] {
  const out = new Set<string>();
  for (const l of LANGUAGES) {
    if (!l.pool || !l.toolchains[hardwareClass]) continue;
    for (const d of l.dependencySets) if (!d.hardwareClasses || d.hardwareClasses.includes(hardwareClass)) out.add(d.name);
  }
  return [...out];
}

/** P(N ≥ n) for N ~ Poisson(mean). */
export function poissonTail(mean: number, n: number): number {
  if (n <= 0) return 1;
  if (mean <= 0) return 0;
  // 1 − P(N ≤ n − 1); pool sizes stay small (means of a few), where the direct sum is exact enough.
  let term = Math.exp(-mean);
  let cdf = term;
  for (let k = 1; k < n; k++) {
    term *= mean / k;
    cdf += term;
  }
  return Math.max(0, 1 - cdf);
}

/** The fewest warm sandboxes for which a run finds none with probability ≤ 1 − hitTarget. */
export function poolSizeFor(arrivalsPerSecond: number, cfg: Pick<WarmPoolConfig, 'warmStartSeconds' | 'hitTarget'>): number {
  const mean = arrivalsPerSecond * cfg.warmStartSeconds;
  if (mean <= 0) return 0;
  let n = 0;
  while (poissonTail(mean, n) > 1 - cfg.hitTarget && n < 10000) n++;
  return n;
}

export function sizePools(
  input: {
    nowMinute: number;
    executors: number;
    forecasts: ReadonlyMap<string, SetForecast>;
    sets: readonly string[];
    previous?: Readonly<Record<string, number>>;
    /** Runs per set in the last complete minute. */
    live?: Readonly<Record<string, number>>;
  },
  cfg: WarmPoolConfig,
): PoolSizeDecision[] {
  const executors = Math.max(1, input.executors);
  return input.sets.map((dependencySet) => {
    const previous = input.previous?.[dependencySet] ?? null;
    const f = input.forecasts.get(dependencySet);
    let peak: number | null = null;
    let at: number | null = null;
    if (f && f.method !== 'none') {
      for (let m = input.nowMinute; m <= input.nowMinute + cfg.lookaheadMinutes; m++) {
        const v = f.runs[m - f.start];
        if (v !== undefined && (peak === null || v > peak)) (peak = v), (at = m);
      }
    }
    const floor = cfg.minSize;
    const live = input.live?.[dependencySet] ?? 0;
    let fromLive = false;
    if (live > 0 && (peak === null || live > peak)) (peak = live), (at = input.nowMinute - 1), (fromLive = true);
    if (peak === null) {
      return {
        dependencySet, size: floor, previous, forecastRunsPerMinute: null, forecastMinute: null, arrivalsPerExecutorPerSecond: null, reason: 'no_forecast' as const,
        explanation: `${dependencySet}: ${floor} warm per executor, the floor: no forecast${f ? ` (${f.method})` : ''}`,
      };
    }
    const lambda = peak / 60 / executors;
    const need = poolSizeFor(lambda, cfg);
    const size = Math.min(cfg.maxSize, Math.max(floor, need));
    const reason = need > cfg.maxSize ? ('max' as const) : need < floor ? ('min' as const) : fromLive ? ('live' as const) : ('forecast' as const);
    const when = new Date(at! * 60000).toISOString().slice(11, 16);
    const source = fromLive ? `the last minute (${when} UTC) had ${peak.toFixed(0)} runs, more than the forecast${f ? ` (${f.method})` : ''} expects` : `the forecast (${f!.method}) expects ${peak.toFixed(1)} runs/min at ${when} UTC`;
    const base = `${source}, ${lambda.toFixed(2)} runs/s per executor of ${executors}: ${need} warm for ${Math.round(cfg.hitTarget * 100)}% warm starts at ${cfg.warmStartSeconds} s per start`;
    const explanation =
      reason === 'forecast' || reason === 'live' ? `${dependencySet}: ${size} warm per executor: ${base}` : reason === 'max' ? `${dependencySet}: ${size} warm per executor, the cap (${base})` : `${dependencySet}: ${size} warm per executor, the floor (${base})`;
    return { dependencySet, size, previous, forecastRunsPerMinute: peak, forecastMinute: at, arrivalsPerExecutorPerSecond: lambda, reason, explanation };
  });
}
