import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { openClickHouse } from '../../analytics/clickhouse';
import { openWarehouse } from '../../analytics/warehouse';

describe('ClickHouse through @clickhouse/client', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conveyor-ch-'));
  let client: ClickHouseClient;

  beforeAll(async () => {
    // The same code reaches a server when CLICKHOUSE_URL is set (CI uses the embedded engine).
    client = await openClickHouse({ url: process.env.CLICKHOUSE_URL, path: dir });
  });
  afterAll(async () => {
    await client.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('creates a table, inserts rows and queries them back', async () => {
    await client.command({ query: 'CREATE TABLE IF NOT EXISTS probe (id UInt32, lang LowCardinality(String), ms Float64) ENGINE = MergeTree ORDER BY id' });
    await client.command({ query: 'TRUNCATE TABLE probe' });
    await client.insert({
      table: 'probe',
      values: [{ id: 1, lang: 'python', ms: 12.5 }, { id: 2, lang: 'python', ms: 7.5 }, { id: 3, lang: 'cpp', ms: 40 }],
      format: 'JSONEachRow',
    });
    const rs = await client.query({
      query: 'SELECT lang, toUInt32(count()) AS runs, sum(ms) AS total FROM probe WHERE ms > {min:Float64} GROUP BY lang ORDER BY lang',
      query_params: { min: 1 },
      format: 'JSONEachRow',
    });
    expect(await rs.json()).toEqual([{ lang: 'cpp', runs: 1, total: 40 }, { lang: 'python', runs: 2, total: 20 }]);
  });
});

describe('the analytics warehouse on the embedded engine', () => {
  it('does not let one insert’s dedup token swallow later inserts (chdb keeps settings per session)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conveyor-wh-'));
    const wh = await openWarehouse({ dataDir: dir });
    try {
      await wh.command('CREATE TABLE t (x UInt64) ENGINE = MergeTree ORDER BY x SETTINGS non_replicated_deduplication_window = 1000');
      await wh.insert('t', [{ x: 1 }], { token: 'batch-1' });
      await wh.insert('t', [{ x: 1 }], { token: 'batch-1' });
      await wh.command('INSERT INTO t SELECT number + 10 FROM numbers(5)');
      await wh.insert('t', [{ x: 2 }]);
      const [row] = await wh.query<{ c: number }>('SELECT toUInt32(count()) AS c FROM t');
      expect(row!.c).toBe(7);
    } finally {
      await wh.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
