import { defaultForecastOptions, forecastSeries, type Forecast, type ForecastOptions } from '../../../analytics/forecast/model';
import { decide, emptyScalerState, type ScalerConfig, type ScalerState } from '../scaler';
import { forecastMargin } from '../scaler-margin';
import { oraclePlan, oracleUnitsAt, steadyNeed, type OracleShape } from '../../../analytics/forecast/oracle';

/**
 * The policies the simulation compares on one trace. Each is asked once a
 * minute for the machines it wants, seeing only what it could see live: the
 * past of the trace and the model's last minute (the oracle alone sees the
 * future: it is the physical limit).
 */
export interface PolicyView {
  /** Index of the current minute in the trace, and its epoch minute. */
  i: number;
  minute: number;
  /** The class's trace; a fair policy reads only indices < i. */
  runs: Float64Array;
  cpuSeconds: Float64Array;
  /** The last complete minute as observed. */
  last: { runs: number; cpuSeconds: number; backlog: number; p99Wait: number | null; busySlots: number; readySlots: number };
  desired: number;
  ready: number;
}

export interface Policy {
  name: string;
  desired(v: PolicyView): number;
  /** Forecasts the policy issued (Conveyor only): start index and CPU seconds per minute. */
  forecasts?: { start: number; point: number[]; method: string }[];
}

export interface FleetShape { coresPerMachine: number; bootDelaySeconds: number; waitObjectiveSeconds: number; waitQuantile: number; maxMachines: number }

const need = (shape: FleetShape, runs: number, cpu: number) => steadyNeed(oracleShape(shape), runs, cpu);

/** Static provisioning for the trace's busiest minute, all the time. */
export function staticPeak(shape: FleetShape, runs: Float64Array, cpu: Float64Array, from: number): Policy {
  let peak = 0;
  for (let i = from; i < runs.length; i++) peak = Math.max(peak, need(shape, runs[i]!, cpu[i]!));
  return { name: 'static peak', desired: () => peak };
}

/** The fleet's shape as the oracle's (analytics/forecast/oracle.ts): a unit is a machine, a slot a core. */
export const oracleShape = (shape: FleetShape): OracleShape => ({ slotsPerUnit: shape.coresPerMachine, waitObjectiveSeconds: shape.waitObjectiveSeconds, waitQuantile: shape.waitQuantile, maxUnits: shape.maxMachines });

/**
 * Perfect foresight, the physical limit (analytics/forecast/oracle.ts, which
 * the ops scaling report uses too): the fewest machines per minute with the
 * runs carried from the minute before, asked for a boot delay ahead and kept
 * until every minute they were needed for has passed.
 */
export function oracle(shape: FleetShape, given?: { plan: Int32Array; from: number }): Policy {
  const boot = Math.ceil(shape.bootDelaySeconds / 60);
  let plan = given?.plan;
  let planFrom = given?.from ?? 0;
  return {
    name: 'oracle',
    desired(v) {
      if (!plan) (plan = oraclePlan(oracleShape(shape), v.runs, v.cpuSeconds, v.i)), (planFrom = v.i);
      return oracleUnitsAt(plan, v.i - planFrom, boot);
    },
  };
}

/**
 * Reactive like Compiler Explorer's fleet: target tracking on average CPU of
 * the last minute (scale out at once, scale in after 15 lower minutes) and,
 * as KEDA does for Kafka lag, one more machine per `lagPerMachine` queued runs.
 */
export function reactive(shape: FleetShape, target: number, lagPerMachine = 64): Policy {
  let recent: number[] = [];
  return {
    name: `reactive (${Math.round(target * 100)}% CPU target)`,
    desired(v) {
      const util = v.last.readySlots > 0 ? v.last.busySlots / v.last.readySlots : 1;
      const byCpu = Math.ceil((v.ready * util) / target);
      const byLag = v.ready + Math.ceil(v.last.backlog / lagPerMachine);
      const want = Math.min(shape.maxMachines, Math.max(1, byCpu, v.last.backlog > 0 ? byLag : 0));
      recent = [...recent.slice(-14), want];
      return want >= v.desired ? want : Math.max(...recent);
    },
  };
}

/**
 * Conveyor: the real forecaster (refitted every `refitMinutes` on the CPU
 * seconds observed so far) and the real scaler decision, one executor per
 * machine with a slot per core.
 */
export type Fit = (series: { start: number; values: readonly number[] }, opts: ForecastOptions) => Pick<Forecast, 'point' | 'method'>;

export function conveyor(
  shape: FleetShape,
  o: { refitMinutes: number; forecast?: Partial<ForecastOptions>; scaler?: Partial<ScalerConfig>; marginZ?: number; marginWindowMinutes?: number; fit?: Fit },
): Policy {
  const fit = o.fit ?? forecastSeries;
  const opts: ForecastOptions = { ...defaultForecastOptions, ...o.forecast };
  const cfg: ScalerConfig = {
    slotsPerExecutor: shape.coresPerMachine,
    bootDelaySeconds: shape.bootDelaySeconds,
    waitObjectiveSeconds: shape.waitObjectiveSeconds,
    waitQuantile: shape.waitQuantile,
    minExecutors: 1,
    maxExecutors: shape.maxMachines,
    scaleInWindowMinutes: 10,
    lookaheadMinutes: 5,
    backlogDrainSeconds: 60,
    defaultServiceSeconds: 10,
    serviceCv2: 1,
    mode: 'act',
    ...o.scaler,
  };
  let state: ScalerState = emptyScalerState;
  let current: { start: number; point: number[]; method: string } | undefined;
  const forecasts: NonNullable<Policy['forecasts']> = [];
  // What the forecast in use said for each past minute, to measure its recent errors.
  const said: { i: number; forecast: number }[] = [];
  let margin = 0;
  const window = o.marginWindowMinutes ?? 360;
  return {
    name: 'conveyor',
    forecasts,
    desired(v) {
      if (!current || v.i - current.start >= o.refitMinutes) {
        const from = Math.max(0, v.i - opts.maxHistoryDays * 1440);
        // The series starts at its epoch minute (the seasonal phase and the holiday calendar read it), the forecast is kept by index.
        const f = fit({ start: v.minute - (v.i - from), values: Array.from(v.cpuSeconds.subarray(from, v.i)) }, opts);
        current = { start: v.i, point: f.point, method: f.method };
        forecasts.push(current);
      }
      // Arrivals from the CPU forecast at the service time of the last hour (it moves far slower than demand).
      let runs = 0;
      let cpu = 0;
      for (let j = Math.max(0, v.i - 60); j < v.i; j++) (runs += v.runs[j]!), (cpu += v.cpuSeconds[j]!);
      const service = runs > 0 ? cpu / runs : cfg.defaultServiceSeconds;
      const offset = v.i - current.start;
      if (v.i > 0 && offset > 0) said.push({ i: v.i - 1, forecast: current.point[offset - 1]! });
      while (said.length && said[0]!.i < v.i - window) said.shift();
      if (v.i % 15 === 0) margin = forecastMargin(said.map((p) => ({ forecast: p.forecast, actual: v.cpuSeconds[p.i]! })), o.marginZ ?? 2.33);
      // From the last minute on (what the forecast in use said for it, to tell a surprise), as the live loop's forecast issued before now.
      const cpuAhead = [said.at(-1)?.i === v.i - 1 ? said.at(-1)!.forecast : NaN, ...current.point.slice(offset)];
      const r = decide(
        {
          hardwareClass: 'sim',
          nowMinute: v.i,
          forecast: { start: v.i - 1, cpuSeconds: cpuAhead, runs: cpuAhead.map((c) => c / service), method: current.method, margin },
          live: { runsPerMinute: v.last.runs, cpuSecondsPerMinute: v.last.cpuSeconds, backlog: v.last.backlog, queueWaitP99Seconds: v.last.p99Wait },
          current: { desired: v.desired, ready: v.ready },
        },
        cfg,
        state,
      );
      state = r.state;
      return r.decision.desired;
    },
  };
}
