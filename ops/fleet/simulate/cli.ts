import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { openWarehouse, type Warehouse } from '../../../analytics/warehouse';
import { usageHistory } from '../../../analytics/forecast/store';
import { parseHolidays } from '../../../analytics/forecast/settings';
import { infraSettings } from '../../infra/settings';
import { HARDWARE_CLASSES } from '../../../topics/catalog';
import { simulationHtml } from './html';
import { defaultSimulationOptions, simulate } from './run';
import { TraceError, generateTrace, readTraceCsv, traceFromRows, type Trace, type TraceRow } from './trace';

/** `conveyor fleet simulate`: the seed-scale comparison of scaling policies (a bench-like CLI, not a test). */
export function registerFleetSimulate(fleet: Command, log: (msg: string) => void): void {
  fleet
    .command('simulate')
    .description('replay a demand trace through a model of the fleets: static peak, reactive, Conveyor (the real forecaster and scaler) and an oracle')
    .option('--days <n>', 'simulated days (after the history days)', '14')
    .option('--history-days <n>', 'days of history before them, seen by the forecaster only', '14')
    .option('--trace <file>', 'replay a CSV of minute,hardware_class,runs,cpu_seconds instead of the generated trace')
    .option('--from-clickhouse', 'replay the usage recorded in ClickHouse (usage_per_minute)')
    .option('--scale <x>', 'scale of the generated trace (1 = the design brief: ~2,220 runs/s at peak)', '1')
    .option('--boot-delay <s>', 'seconds from asking for a machine to its first run', '180')
    .option('--cores <n>', 'cores per machine', '64')
    .option('--refit-minutes <n>', 'minutes between forecast refits in the simulation', String(defaultSimulationOptions.refitMinutes))
    .option('--holidays <dates>', "the forecaster's holiday calendar, YYYY-MM-DD (UTC) separated by commas (default: the generated trace's holiday; a CSV or ClickHouse trace has none)")
    .option('--json', 'print the comparison as JSON')
    .option('--out <dir>', 'report directory (fleet-simulation.html and .json)', 'bench-results')
    .action(async (o: { days: string; historyDays: string; trace?: string; fromClickhouse?: boolean; scale: string; bootDelay: string; cores: string; refitMinutes: string; holidays?: string; json?: boolean; out: string }) => {
      const num = (name: string, v: string, min: number, max: number) => {
        const n = Number(v);
        if (!Number.isFinite(n) || n < min || n > max) throw new TraceError(`--${name} must be a number from ${min} to ${max}, got ${v}`);
        return n;
      };
      try {
        const days = num('days', o.days, 1, 60);
        let historyDays = num('history-days', o.historyDays, 0, 60);
        let trace: Trace;
        if (o.trace) trace = readTraceCsv(o.trace);
        else if (o.fromClickhouse) trace = await traceFromClickHouse(days + historyDays);
        else trace = generateTrace({ days: days + historyDays, scale: num('scale', o.scale, 0.0001, 10), holidayDay: historyDays + 3, spikeDay: historyDays + 8 });
        // A recorded trace may be shorter than asked: keep half of it, at most, as history.
        if (o.trace || o.fromClickhouse) historyDays = Math.min(historyDays, Math.floor(trace.minutes / 1440 / 2));
        log(`simulating ${((trace.minutes - historyDays * 1440) / 1440).toFixed(1)} days after ${historyDays} days of history…`);
        let holidays: number[] | undefined;
        if (o.holidays !== undefined) {
          if (!/^\s*(\d{4}-\d{2}-\d{2}\s*(,\s*|$))*$/.test(o.holidays)) throw new TraceError(`--holidays must be dates YYYY-MM-DD separated by commas, got ${o.holidays}`);
          try {
            holidays = parseHolidays(o.holidays).all;
          } catch (e) {
            throw new TraceError(`--holidays: ${(e as Error).message}`);
          }
        }
        const r = simulate(trace, { historyDays, holidays, bootDelaySeconds: num('boot-delay', o.bootDelay, 0, 3600), coresPerMachine: num('cores', o.cores, 1, 1024), refitMinutes: num('refit-minutes', o.refitMinutes, 1, 1440) }, log);
        fs.mkdirSync(o.out, { recursive: true });
        const { series, ...summary } = r;
        fs.writeFileSync(path.join(o.out, 'fleet-simulation.json'), JSON.stringify(r));
        fs.writeFileSync(path.join(o.out, 'fleet-simulation.html'), simulationHtml(r));
        if (o.json) console.log(JSON.stringify(summary, null, 2));
        else {
          console.table(r.policies.map((p) => ({ policy: p.policy, 'machine-h': Math.round(p.machineHours), 'x oracle': +p.vsOracle.toFixed(3), 'x static': +p.vsStatic.toFixed(3), 'p50 s': +p.waitP50Seconds.toFixed(3), 'p99 s': +p.waitP99Seconds.toFixed(3), 'min over': p.minutesOverObjective, actions: p.scaleActions })));
          console.table(r.goals.map((g) => ({ goal: g.name, target: g.target, achieved: g.achieved, met: g.met })));
          console.log(`forecast MAPE at 1 h: ${(r.forecast.mape1h * 100).toFixed(2)}% (weekly-seasonal part ${(r.forecast.mape1hSeasonal * 100).toFixed(2)}%); report ${path.join(o.out, 'fleet-simulation.html')} (${(r.elapsedMs / 1000).toFixed(1)} s)`);
        }
        void series;
      } catch (e) {
        if (e instanceof TraceError) {
          console.error(JSON.stringify({ error: { code: e.code, message: e.message } }));
          process.exit(2);
        }
        throw e;
      }
    });
}

async function traceFromClickHouse(days: number): Promise<Trace> {
  const infra = infraSettings();
  let wh: Warehouse;
  try {
    wh = await openWarehouse(infra.CLICKHOUSE_URL ? { url: infra.CLICKHOUSE_URL } : { dataDir: infra.clickhouseDataDir });
  } catch (e) {
    throw new TraceError(`cannot open ClickHouse (${e instanceof Error ? e.message : String(e)}); the embedded one is owned by a running analytics service: stop it or set CLICKHOUSE_URL`);
  }
  try {
    const to = Math.floor(Date.now() / 60000);
    const rows: TraceRow[] = [];
    for (const hw of HARDWARE_CLASSES) {
      for (const u of await usageHistory(wh, { hardwareClass: hw, fromMinute: to - days * 1440, toMinute: to })) rows.push({ minute: u.minute, hardwareClass: hw, runs: u.runs, cpuSeconds: u.cpuSeconds });
    }
    if (!rows.length) throw new TraceError(`usage_per_minute has no rows in the last ${days} days`);
    return traceFromRows(rows);
  } finally {
    await wh.close();
  }
}
