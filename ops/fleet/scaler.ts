import { serversFor } from '../../analytics/forecast/erlang-c';

/**
 * The scaler's decision for one hardware class at one minute, as a pure
 * function of its inputs: what the forecast needs once a machine asked for
 * now has booted, never below what the live backlog and queue wait need
 * now, within min/max, and scale-in only when every recommendation of the
 * stabilisation window agrees. The minute loop (scaler-loop.ts) and the
 * simulation call exactly this.
 */
export interface ScalerConfig {
  /** Run slots of one executor (its concurrency, about its cores). */
  slotsPerExecutor: number;
  /** Seconds from asking for an executor to its first run. */
  bootDelaySeconds: number;
  /** Queue-wait objective: quantile `waitQuantile` of waits ≤ `waitObjectiveSeconds`. */
  waitObjectiveSeconds: number;
  waitQuantile: number;
  minExecutors: number;
  maxExecutors: number;
  /** Scale-in takes the highest recommendation of this many past minutes (Kubernetes HPA's stabilisation window). */
  scaleInWindowMinutes: number;
  /** Minutes after now + boot delay that the forecast must also cover (the next decision's capacity lands a minute later). */
  lookaheadMinutes: number;
  /** Seconds within which the current backlog should be drained by the reactive floor. */
  backlogDrainSeconds: number;
  /** Service time (CPU seconds per run) assumed when nothing has been measured yet. */
  defaultServiceSeconds: number;
  /** Squared coefficient of variation of the service time (1 = exponential). */
  serviceCv2: number;
  /** 'observe' records decisions without acting. */
  mode: 'act' | 'observe';
}

/**
 * Per-minute forecast from `start` (epoch minutes): arrivals and CPU seconds
 * per minute. `margin` is how far demand has recently come in above the
 * forecast (a quantile of actual/forecast − 1, scaler-margin.ts): the
 * forecast is sized for point × (1 + margin), an empirical prediction bound
 * rather than a fixed headroom.
 */
export interface ScalerForecast {
  start: number;
  runs: readonly number[];
  cpuSeconds: readonly number[];
  method: string;
  margin?: number;
  /** Arrivals the forecast in use said for the last minute, when `runs` starts at now (a forecast issued this minute). */
  lastMinuteRuns?: number;
}

export interface ScalerInput {
  hardwareClass: string;
  nowMinute: number;
  forecast?: ScalerForecast;
  /** What was observed in the last complete minute. */
  live: { runsPerMinute: number; cpuSecondsPerMinute: number; backlog: number; queueWaitP99Seconds: number | null };
  /** Executors currently desired and currently ready. */
  current: { desired: number; ready: number };
}

/** What the scaler remembers between minutes: its raw recommendations, newest last. */
export interface ScalerState { recommendations: { minute: number; executors: number }[] }
export const emptyScalerState: ScalerState = { recommendations: [] };

export type DecisionReason = 'forecast' | 'reactive' | 'stabilised' | 'max' | 'min' | 'hold';

export interface ScalerDecision {
  hardwareClass: string;
  minute: number;
  desired: number;
  previous: number;
  /** Executors the forecast needs at now + boot delay (null without a usable forecast). */
  forecastNeed: number | null;
  /** Executors the live backlog and arrivals need now. */
  reactiveNeed: number;
  /** Forecast arrivals per second and service seconds the forecast need was sized for. */
  forecastLoad: { minute: number; arrivalsPerSecond: number; serviceSeconds: number } | null;
  /** Last minute's arrivals / what the forecast said for it, when above 1 + its margin (the lookahead was sized up by it). */
  surprise: number | null;
  reason: DecisionReason;
  /** One sentence a person can read. */
  explanation: string;
  act: boolean;
  inputs: ScalerInput['live'] & { ready: number; forecastMethod: string | null };
}

export function decide(input: ScalerInput, cfg: ScalerConfig, state: ScalerState): { decision: ScalerDecision; state: ScalerState } {
  const executors = (slots: number) => Math.ceil(slots / cfg.slotsPerExecutor);
  const serviceOf = (runs: number, cpu: number) => (runs > 0 && cpu > 0 ? cpu / runs : cfg.defaultServiceSeconds);
  const size = (arrivalsPerSecond: number, serviceSeconds: number) =>
    executors(serversFor({ arrivalsPerSecond, serviceSeconds, serviceCv2: cfg.serviceCv2 }, cfg.waitObjectiveSeconds, cfg.waitQuantile));

  const f = input.forecast;
  const live = input.live;
  const liveService = serviceOf(live.runsPerMinute, live.cpuSecondsPerMinute);
  // A surprise: the last minute's arrivals above what the forecast said for it by more than its margin. Until it has
  // passed, the whole lookahead is sized up by that ratio at once (the forecast, refitted later, would follow it only
  // over its buckets); below the margin the forecast is sized up by the margin as usual.
  const margin = Math.max(0, f?.margin ?? 0);
  let surprise: number | null = null;
  if (f && f.method !== 'none') {
    const said = f.runs[input.nowMinute - 1 - f.start] ?? f.lastMinuteRuns;
    if (said !== undefined && said > 0 && live.runsPerMinute > said * (1 + margin)) surprise = live.runsPerMinute / said;
  }
  const scale = Math.max(1 + margin, surprise ?? 0);

  // Forecast need: the busiest minute between the moment a machine asked for now is ready and the lookahead after it.
  let forecastNeed: number | null = null;
  let forecastLoad: ScalerDecision['forecastLoad'] = null;
  if (f && f.method !== 'none') {
    const first = input.nowMinute + Math.ceil(cfg.bootDelaySeconds / 60);
    for (let m = first; m <= first + cfg.lookaheadMinutes; m++) {
      const i = m - f.start;
      if (i < 0 || i >= f.runs.length) continue;
      const runs = f.runs[i]! * scale;
      const load = { minute: m, arrivalsPerSecond: runs / 60, serviceSeconds: serviceOf(f.runs[i]!, f.cpuSeconds[i] ?? 0) };
      const need = size(load.arrivalsPerSecond, load.serviceSeconds);
      if (forecastNeed === null || need > forecastNeed) (forecastNeed = need), (forecastLoad = load);
    }
  }

  // Reactive floor: today's arrivals sized the same way (they forecast the next minute, with at least the error the
  // margin measures: without it, a scale-in to just the forecast met a minute of noise above it), plus the slots that drain, within backlogDrainSeconds of
  // the new machines being ready, the backlog there will be by then (today's plus what the ready slots fall short
  // of today's load over the boot delay).
  const readySlots = input.current.ready * cfg.slotsPerExecutor;
  const shortfall = Math.max(0, live.cpuSecondsPerMinute / 60 - readySlots);
  const backlogAtReady = live.backlog + (shortfall * cfg.bootDelaySeconds) / liveService;
  const drainSlots = (backlogAtReady * liveService) / cfg.backlogDrainSeconds;
  let reactiveNeed = executors(
    serversFor({ arrivalsPerSecond: (live.runsPerMinute * (1 + margin)) / 60, serviceSeconds: liveService, serviceCv2: cfg.serviceCv2 }, cfg.waitObjectiveSeconds, cfg.waitQuantile) + drainSlots,
  );
  // Waits above the objective with no backlog to explain them: what is ready is not enough, one more.
  if (live.queueWaitP99Seconds !== null && live.queueWaitP99Seconds > cfg.waitObjectiveSeconds) reactiveNeed = Math.max(reactiveNeed, input.current.ready + 1);

  const raw = Math.max(forecastNeed ?? 0, reactiveNeed);
  let reason: DecisionReason = forecastNeed !== null && forecastNeed >= reactiveNeed ? 'forecast' : 'reactive';
  let desired = raw;
  const recommendations = [...state.recommendations.filter((r) => r.minute > input.nowMinute - cfg.scaleInWindowMinutes), { minute: input.nowMinute, executors: raw }];
  if (raw < input.current.desired) {
    const held = Math.max(...recommendations.map((r) => r.executors));
    if (held > raw) (desired = Math.min(held, input.current.desired)), (reason = 'stabilised');
  }
  if (desired > cfg.maxExecutors) (desired = cfg.maxExecutors), (reason = 'max');
  if (desired < cfg.minExecutors) (desired = cfg.minExecutors), (reason = 'min');
  if (desired === input.current.desired && reason === 'stabilised') reason = 'hold';

  const decision: ScalerDecision = {
    hardwareClass: input.hardwareClass,
    minute: input.nowMinute,
    desired,
    previous: input.current.desired,
    forecastNeed,
    reactiveNeed,
    forecastLoad,
    surprise,
    reason,
    explanation: explain(reason, { desired, raw, forecastNeed, reactiveNeed, forecastLoad, live, cfg, method: f?.method ?? null, surprise }),
    act: cfg.mode === 'act',
    inputs: { ...live, ready: input.current.ready, forecastMethod: f?.method ?? null },
  };
  return { decision, state: { recommendations } };
}

function explain(
  reason: DecisionReason,
  d: { desired: number; raw: number; forecastNeed: number | null; reactiveNeed: number; forecastLoad: ScalerDecision['forecastLoad']; live: ScalerInput['live']; cfg: ScalerConfig; method: string | null; surprise: number | null },
): string {
  const objective = `p${Math.round(d.cfg.waitQuantile * 100)} wait ≤ ${d.cfg.waitObjectiveSeconds} s`;
  const fl = d.forecastLoad;
  const forecastText = fl
    ? `${d.surprise !== null ? `arrivals came in ${d.surprise.toFixed(2)}× the forecast, so ` : ''}the forecast (${d.method}) expects ${fl.arrivalsPerSecond.toFixed(1)} runs/s of ${fl.serviceSeconds.toFixed(1)} s at ${new Date(fl.minute * 60000).toISOString().slice(11, 16)} UTC, ${d.forecastNeed} executors for ${objective}`
    : `no usable forecast${d.method ? ` (${d.method})` : ''}`;
  switch (reason) {
    case 'forecast':
      return `${d.desired} executors: ${forecastText}; the live floor needs ${d.reactiveNeed}`;
    case 'reactive':
      return `${d.desired} executors: the live floor (${(d.live.runsPerMinute / 60).toFixed(1)} runs/s, backlog ${d.live.backlog}${d.live.queueWaitP99Seconds !== null ? `, p99 wait ${d.live.queueWaitP99Seconds.toFixed(2)} s` : ''}) needs ${d.reactiveNeed}; ${forecastText}`;
    case 'stabilised':
    case 'hold':
      return `${d.desired} executors: ${d.raw} would do now, but scale-in waits for ${d.cfg.scaleInWindowMinutes} minutes of lower recommendations`;
    case 'max':
      return `${d.desired} executors: the maximum (${d.raw} wanted; ${forecastText})`;
    case 'min':
      return `${d.desired} executors: the minimum (${d.raw} wanted)`;
  }
}
