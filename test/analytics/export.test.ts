import fs from 'node:fs';
import path from 'node:path';
import { exportDay, exportFinishedDays, scheduleExport } from '../../analytics/export';
import { migrate } from '../../analytics/migrations';
import { openWarehouse, type Warehouse } from '../../analytics/warehouse';
import { insertRuns, tmpDir } from './fixtures';

const NOW = Date.UTC(2026, 2, 15, 9, 30);
const D1 = Date.UTC(2026, 2, 12, 10);
const D2 = Date.UTC(2026, 2, 14, 23, 59);
let wh: Warehouse;
let dir: string;
let seq = 0;

async function addRuns(at: number, n: number): Promise<void> {
  await insertRuns(wh, 'ex', at, n, seq);
  seq += n;
}

function parquetFiles(): string[] {
  const out: string[] = [];
  const walk = (d: string) => fs.readdirSync(d, { withFileTypes: true }).forEach((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : e.name.endsWith('.parquet') && out.push(path.relative(dir, path.join(d, e.name)))));
  walk(dir);
  return out.sort();
}

beforeAll(async () => {
  wh = await openWarehouse({ dataDir: tmpDir('export-ch') });
  await migrate(wh);
  dir = tmpDir('export-out');
  await addRuns(D1, 120);
  await addRuns(D2, 80);
  await addRuns(NOW - 1000, 10); // today: not finished, not exported
});
afterAll(async () => {
  await wh?.close();
});

describe('Parquet export of finished days', () => {
  it('writes each finished day to year=/month=/day= Parquet that reads back with the same rows', async () => {
    const days = await exportFinishedDays(wh, { kind: 'directory', dir }, { now: NOW, lookbackDays: 7 });
    expect(days.map((d) => [d.day, d.rows])).toEqual([['2026-03-12', 120], ['2026-03-14', 80]]);
    expect(parquetFiles()).toEqual(['year=2026/month=03/day=12/runs.parquet', 'year=2026/month=03/day=14/runs.parquet']);

    const back = await wh.query<{ day: string; n: string; cpu: string; ids: string }>(
      `SELECT day, count() AS n, sum(cpu_ms) AS cpu, uniqExact(run_id) AS ids
       FROM file('${dir}/year=*/month=*/day=*/*.parquet', 'Parquet') GROUP BY day ORDER BY day SETTINGS use_hive_partitioning = 1`,
    );
    const source = await wh.query<{ day: string; n: string; cpu: string }>(
      "SELECT toString(toDayOfMonth(requested_at)) AS day, count() AS n, sum(cpu_ms) AS cpu FROM runs WHERE toDate(requested_at) < '2026-03-15' GROUP BY day ORDER BY day",
    );
    expect(back.map((r) => [String(r.day).padStart(2, '0'), Number(r.n), Number(r.cpu), Number(r.ids)])).toEqual(
      source.map((r) => [String(r.day).padStart(2, '0'), Number(r.n), Number(r.cpu), Number(r.n)]),
    );
    const names = (await wh.query<{ name: string }>(`DESCRIBE TABLE file('${dir}/year=2026/month=03/day=12/runs.parquet', 'Parquet')`)).map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(['run_id', 'requested_at', 'hardware_class', 'dependency_set', 'cpu_ms', 'status']));
    expect(names).not.toContain('kafka_offset');
  });

  it('overwrites a day when it is exported again', async () => {
    await addRuns(D1 + 5000, 5);
    const again = await exportDay(wh, { kind: 'directory', dir }, '2026-03-12');
    expect(again.rows).toBe(125);
    expect(fs.readdirSync(path.dirname(again.file)).sort()).toEqual(['_SUCCESS', 'runs.parquet']);
    const [row] = await wh.query<{ n: string }>(`SELECT count() AS n FROM file('${again.file}', 'Parquet')`);
    expect(Number(row!.n)).toBe(125);
    expect(JSON.parse(fs.readFileSync(path.join(path.dirname(again.file), '_SUCCESS'), 'utf8'))).toMatchObject({ day: '2026-03-12', rows: 125 });
  });

  it('refuses a schedule that is not a cron expression', () => {
    expect(() => scheduleExport(wh, { target: { kind: 'directory', dir }, cron: 'every day' })).toThrow(/EXPORT_CRON/);
  });
});
