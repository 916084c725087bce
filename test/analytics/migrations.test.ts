import { migrate, migrations, type Migration } from '../../analytics/migrations';
import { openWarehouse, type Warehouse } from '../../analytics/warehouse';
import { tmpDir } from './fixtures';

let wh: Warehouse;
beforeAll(async () => {
  wh = await openWarehouse({ dataDir: tmpDir('migrations-ch') });
});
afterAll(async () => {
  await wh?.close();
});

describe('schema migrations', () => {
  it('applies every migration once and is a no-op when run again', async () => {
    const first = await migrate(wh);
    expect(first.applied).toEqual(migrations.map((m) => m.version));
    const second = await migrate(wh);
    expect(second).toEqual({ applied: [], current: first.current });
    const recorded = await wh.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    expect(recorded.map((r) => Number(r.version))).toEqual(migrations.map((m) => m.version));
  });

  it('creates day-partitioned raw tables with TTLs and the per-minute aggregating views', async () => {
    const tables = await wh.query<{ name: string; engine: string; partition_key: string; sorting_key: string; create_table_query: string }>(
      "SELECT name, engine, partition_key, sorting_key, create_table_query FROM system.tables WHERE database = currentDatabase() ORDER BY name",
    );
    const t = Object.fromEntries(tables.map((x) => [x.name, x]));
    for (const raw of ['runs', 'run_requests']) {
      expect(t[raw]).toMatchObject({ engine: 'ReplacingMergeTree', partition_key: 'toYYYYMMDD(requested_at)' });
      expect(t[raw]!.create_table_query).toMatch(/TTL toDateTime\(requested_at\) \+ toIntervalDay\(\d+\)/);
    }
    expect(t.edit_activity).toMatchObject({ partition_key: 'toYYYYMMDD(at)' });
    expect(t.usage_per_minute).toMatchObject({ engine: 'AggregatingMergeTree', sorting_key: 'minute, hardware_class, dependency_set, language' });
    expect(t.usage_per_minute_mv!.engine).toBe('MaterializedView');
    expect(t.edits_per_minute_mv!.engine).toBe('MaterializedView');
  });

  it('re-runs a migration that failed half way and records it only once it succeeds', async () => {
    const broken: Migration = { version: 99, name: 'test', statements: ['CREATE TABLE IF NOT EXISTS m99 (x UInt8) ENGINE = MergeTree ORDER BY x', 'SELECT no_such_function()'] };
    await expect(migrate(wh, [...migrations, broken])).rejects.toThrow();
    expect(await wh.query('SELECT version FROM schema_migrations WHERE version = 99')).toEqual([]);
    const fixed: Migration = { ...broken, statements: [broken.statements[0]!, 'ALTER TABLE m99 ADD COLUMN IF NOT EXISTS y UInt8'] };
    expect((await migrate(wh, [...migrations, fixed])).applied).toEqual([99]);
    expect((await migrate(wh, [...migrations, fixed])).applied).toEqual([]);
  });
});
