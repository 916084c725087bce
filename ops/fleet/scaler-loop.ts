import type { DemandForecast } from '../../analytics/forecast/forecaster';
import type { ScalerSource } from '../../analytics/forecast/scaler-source';
import type { UsageMinute } from '../../analytics/forecast/store';
import { decide, emptyScalerState, type ScalerDecision, type ScalerState } from './scaler';
import { forecastMargin } from './scaler-margin';
import type { ScalerSettings } from './scaler-settings';
import type { FleetControl } from './control';
import type { Forecast } from '../../analytics/forecast/model';
import type { PoolChannel } from './pool-channel';
import { pooledDependencySets, sizePools, type PoolSizeDecision } from './warm-pools';

/**
 * The scaler's minute loop: refresh the forecasts every few minutes, read
 * the last complete minute and the backlog, decide per hardware class, and
 * hand the decision to the fleet (which records it as an `ops.fleet` event
 * and a ClickHouse row, and applies it unless the mode is observe).
 * When the analytics service cannot answer, the last forecast stays in use
 * (and without usage the floor follows the backlog alone); the decision
 * says so in its inputs.
 */

/** The part of the fleet manager's FleetControl the scaler uses. */
export interface ScalerFleet {
  decide(hardwareClass: string, d: { desired: number; reason: string; inputs: Record<string, unknown>; apply: boolean; actor?: string }): Promise<unknown>;
  list(): { classes: { hardwareClass: string; desired: number; ready: number; min: number; max: number }[] };
}

// The fleet manager's FleetControl is a ScalerFleet (checked here, at compile time).
export const asScalerFleet = (f: FleetControl): ScalerFleet => f;

export interface ScalerLoopDeps {
  source: ScalerSource;
  fleet: ScalerFleet;
  /** Runs waiting for a class right now (consumer lag of its requests topic). */
  backlog(hardwareClass: string): Promise<number>;
  settings: ScalerSettings;
  /** Where warm-pool decisions go (none: the loop sizes no pools). */
  pools?: PoolChannel;
  now?: () => number;
  log?: (msg: string) => void;
}

export interface ScalerLoop {
  /** One round over every class of the fleet; returns the decisions (and the warm-pool sizes in `pools`). */
  tick(): Promise<ScalerDecision[]>;
  /** The warm-pool decisions of the last tick per class. */
  readonly pools: ReadonlyMap<string, PoolSizeDecision[]>;
  start(): void;
  stop(): Promise<void>;
}

export function createScalerLoop(deps: ScalerLoopDeps): ScalerLoop {
  const now = deps.now ?? Date.now;
  const states = new Map<string, ScalerState>();
  // Per class: what the forecast in use said for each past minute and what came (the last 6 hours).
  const said = new Map<string, { forecast: number; actual: number }[]>();
  let forecasts: { issuedMinute: number; byClass: Map<string, DemandForecast>; bySet?: Map<string, Map<string, Forecast>> } | undefined;
  const warm = deps.pools && deps.settings.warmPools.enabled ? deps.settings.warmPools : null;
  const poolDecisions = new Map<string, PoolSizeDecision[]>();
  let refreshError: string | null = null;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;

  async function tick(): Promise<ScalerDecision[]> {
    const nowMinute = Math.floor(now() / 60000);
    const classes = deps.fleet.list().classes;
    // A refresh issues forecasts from now on; what the one before said for the last minute tells a surprise (and the margin).
    const previous = forecasts;
    if (!forecasts || nowMinute - forecasts.issuedMinute >= deps.settings.refreshMinutes || nowMinute < forecasts.issuedMinute) {
      try {
        const dependencySets = warm ? [...new Set(classes.flatMap((c) => pooledDependencySets(c.hardwareClass)))] : undefined;
        forecasts = await deps.source.refresh({ hardwareClasses: classes.map((c) => c.hardwareClass), dependencySets, nowMinute });
        refreshError = null;
      } catch (e) {
        refreshError = `forecast refresh failed (${forecasts ? `using the one of minute ${forecasts.issuedMinute}` : 'no forecast yet'}): ${e instanceof Error ? e.message : String(e)}`;
        deps.log?.(refreshError);
      }
    }
    const out: ScalerDecision[] = [];
    for (const c of classes) {
      let last: UsageMinute | undefined;
      let usageError: string | null = null;
      try {
        last = await deps.source.usageMinute({ hardwareClass: c.hardwareClass, minute: nowMinute - 1 });
      } catch (e) {
        usageError = `usage of the last minute unknown: ${e instanceof Error ? e.message : String(e)}`;
      }
      const f = forecasts?.byClass.get(c.hardwareClass);
      const pairs = said.get(c.hardwareClass) ?? [];
      const saidFor = (d: DemandForecast | undefined) => {
        const k = nowMinute - 1 - (d?.cpu_seconds.start ?? Infinity);
        return d && k >= 0 && k < d.cpu_seconds.point.length ? { cpu: d.cpu_seconds.point[k]!, runs: d.runs.point[nowMinute - 1 - d.runs.start] } : undefined;
      };
      const lastSaid = saidFor(f) ?? saidFor(previous?.byClass.get(c.hardwareClass));
      if (lastSaid) pairs.push({ forecast: lastSaid.cpu, actual: last?.cpuSeconds ?? 0 });
      said.set(c.hardwareClass, pairs.slice(-360));
      const { decision, state } = decide(
        {
          hardwareClass: c.hardwareClass,
          nowMinute,
          forecast: f && { start: f.runs.start, runs: f.runs.point, cpuSeconds: f.cpu_seconds.point, method: f.runs.method, margin: forecastMargin(pairs), lastMinuteRuns: lastSaid?.runs },
          live: {
            runsPerMinute: last?.runs ?? 0,
            cpuSecondsPerMinute: last?.cpuSeconds ?? 0,
            backlog: await deps.backlog(c.hardwareClass),
            queueWaitP99Seconds: last?.queueWaitP99Ms == null ? null : last.queueWaitP99Ms / 1000,
          },
          current: { desired: c.desired, ready: c.ready },
        },
        { ...deps.settings.config, minExecutors: c.min, maxExecutors: c.max },
        states.get(c.hardwareClass) ?? emptyScalerState,
      );
      states.set(c.hardwareClass, state);
      await deps.fleet.decide(c.hardwareClass, { desired: decision.desired, reason: `${decision.reason}: ${decision.explanation}`, inputs: { ...decisionInputs(decision, f?.runs.note), forecastIssuedMinute: forecasts?.issuedMinute ?? null, refreshError, usageError }, apply: decision.act, actor: 'scaler' });
      out.push(decision);
      if (warm) await decidePools(c.hardwareClass, nowMinute, decision, last?.runsBySet);
    }
    return out;
  }

  /** Warm-pool sizes per dependency set for the executors the class will have (its decision's size, when applied). */
  async function decidePools(hw: string, nowMinute: number, decision: ScalerDecision, live?: Record<string, number>) {
    const sets = pooledDependencySets(hw);
    if (!sets.length || !warm || !deps.pools) return;
    const bySet = forecasts?.bySet?.get(hw);
    const f = new Map([...(bySet ?? new Map<string, Forecast>())].map(([set, x]) => [set, { start: x.start, runs: x.point, method: x.method }]));
    const executors = decision.act ? decision.desired : decision.inputs.ready;
    const decisions = sizePools({ nowMinute, executors, forecasts: f, sets, previous: deps.pools.last(hw), live }, warm.config);
    poolDecisions.set(hw, decisions);
    try {
      await deps.pools.decide(hw, { minute: nowMinute, executors, decisions, apply: decision.act, inputs: { forecastIssuedMinute: forecasts?.issuedMinute ?? null, refreshError } });
    } catch (e) {
      deps.log?.(`warm-pool sizes of ${hw} not published: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  return {
    tick,
    pools: poolDecisions,
    start() {
      stopped = false;
      const schedule = () => {
        if (stopped) return;
        // Just after each minute boundary, so the last minute is complete in usage_per_minute.
        const wait = 60000 - (now() % 60000) + 2000;
        timer = setTimeout(() => {
          running = tick().catch((e: unknown) => deps.log?.(`scaler tick failed: ${e instanceof Error ? e.message : String(e)}`)).finally(schedule);
        }, wait);
        timer.unref?.();
      };
      schedule();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await running;
    },
  };
}

/** The decision as the JSON the `ops.fleet` event and its row carry. */
export function decisionInputs(d: ScalerDecision, forecastNote?: string): Record<string, unknown> {
  return {
    minute: d.minute,
    forecastNeed: d.forecastNeed,
    reactiveNeed: d.reactiveNeed,
    forecastLoad: d.forecastLoad,
    surprise: d.surprise,
    previous: d.previous,
    result: d.desired,
    reason: d.reason,
    forecastNote: forecastNote ?? null,
    ...d.inputs,
  };
}
