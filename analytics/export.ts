import fs from 'node:fs';
import path from 'node:path';
import { schedule, validate } from 'node-cron';
import type { Warehouse } from './warehouse';

/**
 * Each finished (UTC) day of `runs` as Hive-partitioned Parquet, for
 * Athena-style engines: <dir>/year=YYYY/month=MM/day=DD/runs.parquet plus a
 * _SUCCESS manifest (names starting with _ are ignored by those engines).
 * Re-exporting a day overwrites it, so the job can run any number of times.
 */
export interface ExportedDay { day: string; rows: number; file: string }

export function dayPath(dir: string, day: string): string {
  const [y, m, d] = day.split('-');
  return path.join(dir, `year=${y}`, `month=${m}`, `day=${d}`);
}

const sqlString = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

export async function exportDay(wh: Warehouse, dir: string, day: string): Promise<ExportedDay> {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new Error(`day must be YYYY-MM-DD (got ${day})`);
  const target = dayPath(dir, day);
  const file = path.join(target, 'runs.parquet');
  fs.mkdirSync(target, { recursive: true });
  // Written beside the final name and renamed, so readers never see half a file.
  const tmp = path.join(target, `_tmp-${process.pid}-runs.parquet`);
  await wh.command(
    `INSERT INTO FUNCTION file(${sqlString(tmp)}, 'Parquet')
     SELECT * EXCEPT (kafka_topic, kafka_partition, kafka_offset) FROM runs FINAL
     WHERE toDate(requested_at) = {day:Date} ORDER BY requested_at
     SETTINGS engine_file_truncate_on_insert = 1, output_format_parquet_compression_method = 'zstd'`,
    { day },
  );
  const [row] = await wh.query<{ n: string }>('SELECT count() AS n FROM runs FINAL WHERE toDate(requested_at) = {day:Date}', { day });
  const rows = Number(row?.n ?? 0);
  for (const old of fs.readdirSync(target)) if (old.endsWith('.parquet') && path.join(target, old) !== tmp) fs.rmSync(path.join(target, old));
  fs.renameSync(tmp, file);
  fs.writeFileSync(path.join(target, '_SUCCESS'), JSON.stringify({ day, rows, exportedAt: new Date().toISOString() }) + '\n');
  return { day, rows, file };
}

/** Exports the finished days (before today, UTC) of the last `lookbackDays` that have runs. */
export async function exportFinishedDays(wh: Warehouse, dir: string, opts: { now?: number; lookbackDays?: number } = {}): Promise<ExportedDay[]> {
  const now = opts.now ?? Date.now();
  const lookback = opts.lookbackDays ?? 3;
  const today = Math.floor(now / 86400_000) * 86400_000;
  const days = await wh.query<{ day: string }>(
    `SELECT DISTINCT toString(toDate(requested_at)) AS day FROM runs
     WHERE requested_at >= fromUnixTimestamp64Milli({from:Int64}) AND requested_at < fromUnixTimestamp64Milli({to:Int64}) ORDER BY day`,
    { from: today - lookback * 86400_000, to: today },
  );
  const out: ExportedDay[] = [];
  for (const { day } of days) out.push(await exportDay(wh, dir, day));
  return out;
}

export interface ExportSchedule { stop(): void; runNow(): Promise<ExportedDay[]> }

export function scheduleExport(
  wh: Warehouse,
  opts: { dir: string; cron: string; log?: (msg: string, fields?: Record<string, unknown>) => void },
): ExportSchedule {
  if (!validate(opts.cron)) throw new Error(`EXPORT_CRON: not a cron expression (got ${JSON.stringify(opts.cron)})`);
  const log = opts.log ?? (() => {});
  let running: Promise<ExportedDay[]> | null = null;
  const runNow = () => {
    running ??= exportFinishedDays(wh, opts.dir)
      .then((days) => {
        log('exported days', { days: days.map((d) => `${d.day}:${d.rows}`) });
        return days;
      })
      .finally(() => (running = null));
    return running;
  };
  const task = schedule(opts.cron, () => runNow().then(() => undefined, (err: Error) => log('export failed', { error: err.message })), {
    timezone: 'UTC',
    noOverlap: true,
  });
  return { stop: () => void task.stop(), runNow };
}
