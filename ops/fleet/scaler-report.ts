import path from 'node:path';
import type { Command } from 'commander';
import { openWarehouse } from '../../analytics/warehouse';
import { migrate } from '../../analytics/migrations';
import { writeFleetReport } from '../../analytics/forecast/report';
import { reportOptions } from '../../analytics/forecast/report-schedule';
import { forecastSettings } from '../../analytics/forecast/settings';
import { infraSettings } from '../infra/settings';

/** `conveyor fleet report --days 7`: the ops scaling report from ClickHouse, HTML and JSON. */
export function registerFleetReport(fleet: Command, log: (msg: string) => void): void {
  fleet
    .command('report')
    .description('write the ops scaling report (demand vs forecast vs capacity, decisions, executor-hours, objective, accuracy) from ClickHouse')
    .option('--days <n>', 'days back from now', '7')
    .option('--out <dir>', 'report directory (default FLEET_REPORT_DIR, .state/reports)')
    .action(async (o: { days: string; out?: string }) => {
      const days = Number(o.days);
      if (!Number.isInteger(days) || days < 1 || days > 90) {
        console.error(JSON.stringify({ error: { code: 'bad_days', message: `--days must be a whole number from 1 to 90, got ${o.days}` } }));
        process.exit(2);
      }
      const s = forecastSettings();
      const infra = infraSettings();
      let wh;
      try {
        wh = await openWarehouse(infra.CLICKHOUSE_URL ? { url: infra.CLICKHOUSE_URL } : { dataDir: infra.clickhouseDataDir });
      } catch (e) {
        console.error(JSON.stringify({ error: { code: 'warehouse_unavailable', message: `cannot open ClickHouse (${e instanceof Error ? e.message : String(e)}); a running analytics service owns the embedded one and writes this report daily (FLEET_REPORT_CRON), or set CLICKHOUSE_URL` } }));
        process.exit(2);
      }
      try {
        await migrate(wh);
        const to = Math.floor(Date.now() / 60000);
        const { html, json } = await writeFleetReport(wh, o.out ? path.resolve(o.out) : s.report.dir, reportOptions(s, to - days * 1440, to));
        log(`fleet report: ${html} and ${json}`);
      } finally {
        await wh.close();
      }
    });
}
