import fs from 'node:fs';
import path from 'node:path';
import { paths } from '../../topics/ground/paths';
import { openClickHouse } from '../../analytics/clickhouse';
import { infraSettings } from '../infra/settings';
import { quantile } from '../load/stats';
import type { BenchReport } from './suite';

/**
 * Loads a report into ClickHouse (table bench_results), one row per numeric
 * table cell and per latency-sample percentile, keyed by commit and time, so
 * runs compare across versions:
 *   SELECT commit, recorded_at, value FROM bench_results
 *   WHERE section = 'pipeline' AND row_label = 'python hello' AND metric = 'median' ORDER BY recorded_at
 * Runs in its own process (see storeReport) because embedded chdb allows one
 * data directory per process and other sections may hold another.
 */
export const BENCH_TABLE = `CREATE TABLE IF NOT EXISTS bench_results (
  run_id String, commit String, dirty UInt8, recorded_at DateTime64(3), host String, cpus UInt16,
  section String, table_title String, row_label String, metric String, value Float64
) ENGINE = MergeTree ORDER BY (section, table_title, row_label, metric, recorded_at)`;

export interface BenchRow { run_id: string; commit: string; dirty: number; recorded_at: number; host: string; cpus: number; section: string; table_title: string; row_label: string; metric: string; value: number }

export function reportRows(report: BenchReport): BenchRow[] {
  const m = report.meta;
  const base = { run_id: m.runId, commit: m.commit, dirty: m.dirty ? 1 : 0, recorded_at: Date.parse(m.timestamp), host: m.host, cpus: m.cpus };
  const rows: BenchRow[] = [];
  for (const s of report.sections) {
    for (const t of s.tables) {
      for (const r of t.rows) {
        const label = String(r[0]);
        r.forEach((v, i) => {
          if (typeof v === 'number' && Number.isFinite(v) && i > 0) rows.push({ ...base, section: s.name, table_title: t.title, row_label: label, metric: t.columns[i]!, value: v });
        });
      }
    }
    for (const [k, xs] of Object.entries(s.samples ?? {})) {
      if (!xs.length) continue;
      const sorted = [...xs].sort((a, b) => a - b);
      for (const [metric, p] of [['p50', 0.5], ['p99', 0.99]] as const) rows.push({ ...base, section: s.name, table_title: 'samples', row_label: k, metric, value: quantile(sorted, p) });
      rows.push({ ...base, section: s.name, table_title: 'samples', row_label: k, metric: 'n', value: xs.length });
    }
  }
  return rows;
}

export async function storeRows(rows: BenchRow[]): Promise<{ where: string; runs: number }> {
  const infra = infraSettings();
  const dir = path.join(paths().state, 'bench-clickhouse');
  fs.mkdirSync(dir, { recursive: true });
  const client = await openClickHouse({ url: infra.CLICKHOUSE_URL, path: dir });
  try {
    await client.command({ query: BENCH_TABLE });
    const chRows = rows.map((r) => ({ ...r, recorded_at: new Date(r.recorded_at).toISOString().replace('T', ' ').replace('Z', '') }));
    await client.insert({ table: 'bench_results', values: chRows, format: 'JSONEachRow' });
    const rs = await client.query({ query: 'SELECT uniqExact(run_id) AS runs FROM bench_results', format: 'JSONEachRow' });
    const [row] = await rs.json<{ runs: string | number }>();
    return { where: infra.CLICKHOUSE_URL ?? `chdb ${dir}`, runs: Number(row?.runs ?? 0) };
  } finally {
    await client.close();
  }
}

if (require.main === module) {
  const file = process.argv[2]!;
  const report = JSON.parse(fs.readFileSync(file, 'utf8')) as BenchReport;
  storeRows(reportRows(report)).then(
    (r) => {
      process.stdout.write(JSON.stringify(r));
      process.exit(0);
    },
    (err) => {
      process.stderr.write(`${(err as Error).stack ?? err}\n`);
      process.exit(1);
    },
  );
}
