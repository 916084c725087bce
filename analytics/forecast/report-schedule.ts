import { schedule, validate } from 'node-cron';
import type { Warehouse } from '../warehouse';
import { writeFleetReport } from './report';
import type { ForecastSettings } from './settings';

/** The daily ops scaling report (node-cron, UTC), written by the process that owns the warehouse. */
export function scheduleFleetReport(wh: Warehouse, s: ForecastSettings, log: (msg: string, fields?: Record<string, unknown>) => void = () => {}): { stop(): void; runNow(): Promise<string> } {
  if (!validate(s.report.cron)) throw new Error(`FLEET_REPORT_CRON: not a cron expression (got ${JSON.stringify(s.report.cron)})`);
  const runNow = async () => {
    const to = Math.floor(Date.now() / 60000);
    const { html } = await writeFleetReport(wh, s.report.dir, reportOptions(s, to - s.report.days * 1440, to));
    log('fleet report written', { html });
    return html;
  };
  const task = schedule(s.report.cron, () => runNow().then(() => undefined, (err: Error) => log('fleet report failed', { error: err.message })), { timezone: 'UTC', noOverlap: true });
  return { stop: () => void task.stop(), runNow };
}

export function reportOptions(s: ForecastSettings, fromMinute: number, toMinute: number) {
  return {
    fromMinute,
    toMinute,
    slotsPerExecutor: s.scaler.slotsPerExecutor,
    waitObjectiveSeconds: s.scaler.waitObjectiveSeconds,
    waitQuantile: s.scaler.waitQuantile,
    bootDelayMinutes: Math.ceil(s.scaler.bootDelaySeconds / 60),
    stepMinutes: toMinute - fromMinute > 2 * 1440 ? 10 : 1,
  };
}
