import { schedule, validate } from 'node-cron';
import { describeTarget, exportFailure, openDay, type ExportTarget } from './export-target';
import type { Warehouse } from './warehouse';
import { silentLogger, type Logger } from '../topics/ground/logger';

/**
 * Each finished (UTC) day of `runs` as Hive-partitioned Parquet, for
 * Athena-style engines: <target>/year=YYYY/month=MM/day=DD/runs.parquet plus a
 * _SUCCESS manifest (names starting with _ are ignored by those engines),
 * written after the data. The target is a directory or an S3 prefix
 * (export-target.ts). Re-exporting a day overwrites it, so the job can run any
 * number of times.
 */
export interface ExportedDay { day: string; rows: number; file: string }

export async function exportDay(wh: Warehouse, target: ExportTarget, day: string): Promise<ExportedDay> {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new Error(`day must be YYYY-MM-DD (got ${day})`);
  const out = openDay(target, day);
  const { parquet } = out;
  try {
    await wh.command(
      `INSERT INTO FUNCTION ${parquet.sql}
       SELECT * EXCEPT (kafka_topic, kafka_partition, kafka_offset) FROM runs FINAL
       WHERE toDate(requested_at) = {day:Date} ORDER BY requested_at
       SETTINGS ${parquet.settings}, output_format_parquet_compression_method = 'zstd'`,
      { ...parquet.params, day },
    );
    // Counted from the written file, so the manifest tells what the file holds even if rows arrived meanwhile.
    const [row] = await wh.query<{ n: string }>(`SELECT count() AS n FROM ${parquet.sql} SETTINGS ${parquet.settings}`, parquet.params);
    const rows = Number(row?.n ?? 0);
    await out.commit(wh, { day, rows, exportedAt: new Date().toISOString() });
    return { day, rows, file: out.file };
  } catch (err) {
    throw exportFailure(target, day, err);
  }
}

/** Exports the finished days (before today, UTC) of the last `lookbackDays` that have runs. */
export async function exportFinishedDays(wh: Warehouse, target: ExportTarget, opts: { now?: number; lookbackDays?: number } = {}): Promise<ExportedDay[]> {
  const now = opts.now ?? Date.now();
  const lookback = opts.lookbackDays ?? 3;
  const today = Math.floor(now / 86400_000) * 86400_000;
  const days = await wh.query<{ day: string }>(
    `SELECT DISTINCT toString(toDate(requested_at)) AS day FROM runs
     WHERE requested_at >= fromUnixTimestamp64Milli({from:Int64}) AND requested_at < fromUnixTimestamp64Milli({to:Int64}) ORDER BY day`,
    { from: today - lookback * 86400_000, to: today },
  );
  const out: ExportedDay[] = [];
  for (const { day } of days) out.push(await exportDay(wh, target, day));
  return out;
}

export interface ExportSchedule { stop(): void; runNow(): Promise<ExportedDay[]> }

export function scheduleExport(
  wh: Warehouse,
  opts: { target: ExportTarget; cron: string; logger?: Logger },
): ExportSchedule {
  if (!validate(opts.cron)) throw new Error(`EXPORT_CRON: not a cron expression (got ${JSON.stringify(opts.cron)})`);
  const logger: Logger = opts.logger ?? silentLogger;
  const target = describeTarget(opts.target);
  let running: Promise<ExportedDay[]> | null = null;
  const runNow = () => {
    running ??= exportFinishedDays(wh, opts.target)
      .then((days) => {
        logger.info({ target, days: days.map((d) => `${d.day}:${d.rows}`) }, 'exported days');
        return days;
      })
      .finally(() => (running = null));
    return running;
  };
  const task = schedule(opts.cron, () => runNow().then(() => undefined, (err: Error & { code?: string }) => logger.warn({ target, code: err.code, error: err.message }, 'export failed')), {
    timezone: 'UTC',
    noOverlap: true,
  });
  return { stop: () => void task.stop(), runNow };
}
