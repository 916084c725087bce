import fs from 'node:fs';
import path from 'node:path';
import type { Warehouse } from '../warehouse';
import { barChart, htmlPage, lineChart } from './html-page';
import { forecastAccuracy } from './store';
import { oraclePlan, oracleUnitsAt, steadyNeed, type OracleShape } from './oracle';
import type { HorizonAccuracy } from './accuracy';

/**
 * The ops scaling report, from ClickHouse alone: per hardware class demand
 * (busy cores) against the forecast made a boot delay ahead and the fleet's
 * capacity (desired executors from `fleet_events`), the scaler's decisions
 * with their reasons, executor-hours against static peak and the oracle of
 * the fleet simulation on what came (oracle.ts: minute by minute, the runs
 * a minute leaves in the system carried into the next), the queue-wait
 * objective per hour, and forecast accuracy by horizon. JSON and a
 * self-contained HTML page.
 */
export interface FleetReportOptions { fromMinute: number; toMinute: number; slotsPerExecutor: number; waitObjectiveSeconds: number; waitQuantile: number; bootDelayMinutes: number; stepMinutes: number }

export interface FleetReport {
  generatedAt: string;
  range: { from: string; to: string; days: number };
  options: FleetReportOptions;
  classes: {
    hardwareClass: string;
    series: { minute: number[]; demandCores: number[]; forecastCores: (number | null)[]; capacityCores: (number | null)[] };
    executorHours: { fleet: number | null; staticPeak: number; oracle: number };
    objectivePerHour: { hour: number; p99WaitSeconds: number; met: boolean }[];
    hoursMeetingObjective: number;
    decisions: { at: string; desired: number | null; applied: boolean; reason: string }[];
    decisionsByReason: Record<string, number>;
  }[];
  accuracy: { cpu_seconds: HorizonAccuracy[]; runs: HorizonAccuracy[] };
}

export async function buildFleetReport(wh: Warehouse, o: FleetReportOptions): Promise<FleetReport> {
  const p = { from: o.fromMinute, to: o.toMinute };
  const range = `minute >= toDateTime({from:Int64} * 60) AND minute < toDateTime({to:Int64} * 60)`;
  const usage = await wh.query<{ hw: string; m: string; runs: string; cpu: number; p99: number }>(
    `SELECT hardware_class AS hw, intDiv(toUnixTimestamp(minute), 60) AS m, sum(runs) AS runs, sum(cpu_ms) / 1000 AS cpu,
            quantilesTDigestMerge(0.5, 0.9, 0.95, 0.99)(queue_wait_q)[4] AS p99
     FROM usage_per_minute WHERE ${range} GROUP BY hw, m ORDER BY hw, m`,
    p,
  );
  const forecasts = await wh.query<{ hw: string; m: string; v: number }>(
    `SELECT hardware_class AS hw, intDiv(toUnixTimestamp(target_minute), 60) AS m, argMin(value, horizon_minutes) AS v
     FROM forecasts FINAL WHERE metric = 'cpu_seconds' AND dependency_set = '' AND horizon_minutes >= {boot:UInt16}
       AND target_minute >= toDateTime({from:Int64} * 60) AND target_minute < toDateTime({to:Int64} * 60)
     GROUP BY hw, m`,
    { ...p, boot: o.bootDelayMinutes },
  );
  const events = await wh.query<{ hw: string; t: string; kind: string; desired: number | null; applied: number; reason: string }>(
    `SELECT hardware_class AS hw, toUnixTimestamp64Milli(at) AS t, kind, desired, applied, reason FROM fleet_events FINAL
     WHERE kind IN ('desired_changed', 'scale_decision') AND at < fromUnixTimestamp64Milli({toMs:Int64})
     ORDER BY hw, at`,
    { toMs: o.toMinute * 60000 },
  );
  // No upper bound for the oracle: its search up ends once the slots hold every run in the system.
  const shape: OracleShape = { slotsPerUnit: o.slotsPerExecutor, waitObjectiveSeconds: o.waitObjectiveSeconds, waitQuantile: o.waitQuantile, maxUnits: Number.MAX_SAFE_INTEGER };
  const classes = [...new Set([...usage.map((u) => u.hw), ...events.map((e) => e.hw)])].sort();
  const minutes = o.toMinute - o.fromMinute;
  const out: FleetReport['classes'] = [];
  for (const hw of classes) {
    const demand = new Float64Array(minutes);
    const runs = new Float64Array(minutes);
    const p99 = new Map<number, number[]>();
    for (const u of usage.filter((x) => x.hw === hw)) {
      const i = Number(u.m) - o.fromMinute;
      demand[i] = Number(u.cpu);
      runs[i] = Number(u.runs);
      const h = Math.floor(Number(u.m) / 60);
      if (Number(u.runs) > 0) (p99.get(h) ?? p99.set(h, []).get(h)!).push(Number(u.p99));
    }
    const fc = new Map(forecasts.filter((f) => f.hw === hw).map((f) => [Number(f.m), Number(f.v)]));
    // Desired executors as a step function over the range (the last desired before a minute holds).
    const ev = events.filter((e) => e.hw === hw);
    const desired = new Array<number | null>(minutes).fill(null);
    let k = 0;
    let cur: number | null = null;
    for (let i = 0; i < minutes; i++) {
      const tMs = (o.fromMinute + i + 1) * 60000;
      while (k < ev.length && Number(ev[k]!.t) < tMs) {
        const e = ev[k++]!;
        if (e.desired !== null && (e.kind === 'desired_changed' || e.applied)) cur = e.desired;
      }
      desired[i] = cur;
    }
    const need = Array.from(demand, (cpu, i) => steadyNeed(shape, runs[i]!, cpu));
    const known = desired.filter((d): d is number => d !== null);
    const series: FleetReport['classes'][number]['series'] = { minute: [], demandCores: [], forecastCores: [], capacityCores: [] };
    for (let i = 0; i < minutes; i += o.stepMinutes) {
      series.minute.push(o.fromMinute + i);
      series.demandCores.push(demand[i]! / 60);
      const f = fc.get(o.fromMinute + i);
      series.forecastCores.push(f === undefined ? null : f / 60);
      series.capacityCores.push(desired[i] === null ? null : desired[i]! * o.slotsPerExecutor);
    }
    const objectivePerHour = [...p99.entries()].sort((a, b) => a[0] - b[0]).map(([hour, v]) => {
      const w = Math.max(...v) / 1000;
      return { hour: hour * 60, p99WaitSeconds: w, met: w <= o.waitObjectiveSeconds };
    });
    const decisions = ev.filter((e) => e.kind === 'scale_decision' && Number(e.t) >= o.fromMinute * 60000);
    const byReason: Record<string, number> = {};
    for (const d of decisions) {
      const code = d.reason.split(':')[0]!.trim() || 'unknown';
      byReason[code] = (byReason[code] ?? 0) + 1;
    }
    out.push({
      hardwareClass: hw,
      series,
      executorHours: { fleet: known.length ? known.reduce((a, b) => a + b, 0) / 60 : null, staticPeak: (Math.max(0, ...need) * minutes) / 60, oracle: oracleExecutorHours(shape, runs, demand, o.bootDelayMinutes) },
      objectivePerHour,
      hoursMeetingObjective: objectivePerHour.length ? objectivePerHour.filter((h) => h.met).length / objectivePerHour.length : 1,
      decisions: decisions.slice(-500).map((d) => ({ at: new Date(Number(d.t)).toISOString(), desired: d.desired, applied: !!d.applied, reason: d.reason })),
      decisionsByReason: byReason,
    });
  }
  return {
    generatedAt: new Date().toISOString(),
    range: { from: new Date(o.fromMinute * 60000).toISOString(), to: new Date(o.toMinute * 60000).toISOString(), days: minutes / 1440 },
    options: o,
    classes: out,
    accuracy: {
      cpu_seconds: await forecastAccuracy(wh, { fromMinute: o.fromMinute, toMinute: o.toMinute, metric: 'cpu_seconds' }),
      runs: await forecastAccuracy(wh, { fromMinute: o.fromMinute, toMinute: o.toMinute, metric: 'runs' }),
    },
  };
}

/**
 * The oracle's executor-hours over a class's minutes (oracle.ts, as the fleet simulation's): the plan with the
 * queue carried, each executor asked for a boot delay ahead, as the fleet's desired executors count it.
 */
export function oracleExecutorHours(shape: OracleShape, runs: ArrayLike<number>, cpuSeconds: ArrayLike<number>, bootDelayMinutes: number): number {
  const plan = oraclePlan(shape, runs, cpuSeconds);
  let minutes = 0;
  for (let k = 0; k < plan.length; k++) minutes += oracleUnitsAt(plan, k, bootDelayMinutes);
  return minutes / 60;
}

export function fleetReportHtml(r: FleetReport): string {
  const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : '–');
  const sections = r.classes.flatMap((c) => [
    {
      title: `${c.hardwareClass}: demand, forecast and capacity`,
      text: `Executor-hours: fleet ${c.executorHours.fleet === null ? 'no fleet events' : c.executorHours.fleet.toFixed(1)}, static peak ${c.executorHours.staticPeak.toFixed(1)}, oracle ${c.executorHours.oracle.toFixed(1)}; hours meeting the queue-wait objective ${pct(c.hoursMeetingObjective)}.`,
      charts: [
        { title: `${c.hardwareClass}: busy cores vs forecast (≥ boot delay ahead) vs capacity`, config: lineChart(c.series.minute, [{ label: 'demand (busy cores)', data: c.series.demandCores }, { label: 'forecast', data: c.series.forecastCores, dashed: true }, { label: 'capacity (desired × slots)', data: c.series.capacityCores, stepped: true }], 'cores') },
        { title: `${c.hardwareClass}: executor-hours`, config: barChart(['fleet', 'static peak', 'oracle'], [{ label: 'executor-hours', data: [c.executorHours.fleet ?? 0, c.executorHours.staticPeak, c.executorHours.oracle].map((x) => +x.toFixed(2)) }], 'executor-hours') },
        { title: `${c.hardwareClass}: p99 queue wait per hour`, config: barChart(c.objectivePerHour.map((h) => new Date(h.hour * 60000).toISOString().slice(5, 13).replace('T', ' ')), [{ label: 'p99 wait s', data: c.objectivePerHour.map((h) => +h.p99WaitSeconds.toFixed(3)) }], 'seconds') },
        { title: `${c.hardwareClass}: scaling decisions by reason`, config: barChart(Object.keys(c.decisionsByReason), [{ label: 'decisions', data: Object.values(c.decisionsByReason) }], 'decisions') },
      ],
      table: { head: ['decided at', 'desired', 'applied', 'reason'], rows: c.decisions.slice(-25).reverse().map((d) => [d.at.slice(0, 19).replace('T', ' '), d.desired ?? '–', d.applied ? 'yes' : 'observed', d.reason]) },
    },
  ]);
  sections.push({
    title: 'Forecast accuracy by horizon',
    text: 'MAPE and under-forecast rate of stored forecasts against what usage_per_minute recorded.',
    charts: [{ title: 'MAPE by horizon (CPU seconds and runs)', config: barChart(r.accuracy.cpu_seconds.map((a) => `${a.fromMinutes}–${a.toMinutes} min`), [{ label: 'CPU seconds MAPE %', data: r.accuracy.cpu_seconds.map((a) => (Number.isFinite(a.mape) ? +(a.mape * 100).toFixed(2) : 0)) }, { label: 'runs MAPE %', data: r.accuracy.runs.map((a) => (Number.isFinite(a.mape) ? +(a.mape * 100).toFixed(2) : 0)) }], '%') }],
    table: { head: ['horizon', 'CPU MAPE', 'CPU under-forecast', 'runs MAPE', 'runs under-forecast', 'samples'], rows: r.accuracy.cpu_seconds.map((a, i) => [`${a.fromMinutes}–${a.toMinutes} min`, pct(a.mape), pct(a.underRate), pct(r.accuracy.runs[i]!.mape), pct(r.accuracy.runs[i]!.underRate), a.samples]) },
  });
  return htmlPage('Conveyor fleet scaling report', `${r.range.from} – ${r.range.to} (${r.range.days.toFixed(1)} days), generated ${r.generatedAt}`, sections);
}

/** Writes fleet-report.json and fleet-report.html into `dir`; returns their paths. */
export async function writeFleetReport(wh: Warehouse, dir: string, o: FleetReportOptions): Promise<{ json: string; html: string; report: FleetReport }> {
  const report = await buildFleetReport(wh, o);
  fs.mkdirSync(dir, { recursive: true });
  const json = path.join(dir, 'fleet-report.json');
  const html = path.join(dir, 'fleet-report.html');
  fs.writeFileSync(json, JSON.stringify(report, null, 1));
  fs.writeFileSync(html, fleetReportHtml(report));
  return { json, html, report };
}
