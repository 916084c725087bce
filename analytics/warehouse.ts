import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { openChdb, openClickHouse } from './clickhouse';
import { pidAlive } from '../topics/ground/pid';

/**
 * The analytics store as the rest of Conveyor sees it: parameterised queries,
 * batched inserts with an idempotency token, and close. Embedded chdb or a
 * ClickHouse server behind the same client API; tests wrap it to inject faults.
 */
export interface Warehouse {
  readonly kind: 'chdb' | 'server';
  query<T>(sql: string, params?: Record<string, unknown>): Promise<T[]>;
  command(sql: string, params?: Record<string, unknown>): Promise<void>;
  /** Inserts rows as one block; a repeated token makes the repeat a no-op (also in dependent views). */
  insert(table: string, rows: readonly object[], opts?: { token?: string }): Promise<void>;
  /**
   * Runs an INSERT ... SELECT FROM file({file<i>:String}, ...) over the given
   * files (analytics/avro-rows.ts builds it), with the same token semantics as
   * insert. Embedded engine only: a server cannot read this process's files.
   */
  insertFiles?(sql: string, params: Record<string, string>, files: readonly Buffer[], opts: { token: string }): Promise<void>;
  close(): Promise<void>;
}

export type WarehouseTarget = { url: string } | { dataDir: string };

export async function openWarehouse(target: WarehouseTarget): Promise<Warehouse> {
  if ('url' in target) return wrapClient(await openClickHouse({ url: target.url, path: '' }), 'server');
  const { client, connection } = await openChdb(target.dataDir);
  const wh = wrapClient(client, 'chdb', (table, columns, body, settings) =>
    connection.chdb.rawInsert({ table, columns, values: body, format: 'JSONCompactEachRow', settings }).then(() => {}),
  );
  const spool = spoolDir();
  let seq = 0;
  return {
    ...wh,
    async insertFiles(sql, params, files, opts) {
      const names = files.map((_, i) => path.join(spool, `${process.pid}-${++seq}-${i}.avro`));
      try {
        files.forEach((f, i) => fs.writeFileSync(names[i]!, f));
        const fileParams = Object.fromEntries(names.map((n, i) => [`file${i}`, n]));
        await client.command({ query: sql, query_params: { ...params, ...fileParams }, clickhouse_settings: { ...tokenSettings(opts.token), ...FILE_LOAD } });
      } finally {
        for (const n of names) fs.rmSync(n, { force: true });
      }
    },
    async close() {
      await wh.close();
      fs.rmSync(spool, { recursive: true, force: true });
    },
  };
}

/**
 * Where files for insertFiles wait for ClickHouse to read them: memory-backed
 * when the host has /dev/shm. One directory per process, named by its pid;
 * those of processes that died without closing are removed here, since files
 * left in /dev/shm hold memory.
 */
function spoolDir(): string {
  const base = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
  for (const name of fs.readdirSync(base)) {
    const pid = /^conveyor-spool-(\d+)-/.exec(name)?.[1];
    if (pid && Number(pid) !== process.pid && !pidAlive(Number(pid))) fs.rmSync(path.join(base, name), { recursive: true, force: true });
  }
  return fs.mkdtempSync(path.join(base, `conveyor-spool-${process.pid}-`));
}

/**
 * Reading Avro unions of null and a record needs Nullable(Tuple); merging
 * duplicate keys of a ReplacingMergeTree at insert time (optimize_on_insert)
 * cost ~30% of the insert and is done anyway by merges and FINAL.
 */
const FILE_LOAD = { enable_nullable_tuple_type: 1, optimize_on_insert: 0 } as Record<string, number>;

/**
 * Embedded inserts bypass the client's row-by-row path: the rows go to chdb as
 * one buffer of JSON arrays (JSONCompactEachRow: the same value parsing as
 * JSONEachRow without a key per field) and its own parser reads them; per-insert
 * settings do not stick. On this machine: ~2.5x the rows/s of client.insert,
 * then ~1.5x more for compact rows over JSON objects.
 */
type RawInsert = (table: string, columns: string[], body: Buffer, settings: Record<string, string | number>) => Promise<void>;

/** Columns in first-seen order over all rows; a row without one sends null, which loads as the column default. */
export function compactRows(rows: readonly object[]): { columns: string[]; body: Buffer } {
  const seen = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) seen.add(k);
  const columns = [...seen];
  const lines = rows.map((r) => JSON.stringify(columns.map((c) => (r as Record<string, unknown>)[c] ?? null)));
  return { columns, body: Buffer.from(lines.join('\n')) };
}

/**
 * chdb keeps every per-query setting for the rest of its session: a dedup
 * token given to one insert would silently drop later inserts that give none.
 * Every statement therefore names the token it means, empty when none.
 */
const NO_TOKEN = { insert_deduplication_token: '' };
const tokenSettings = (token?: string) =>
  token ? { insert_deduplication_token: token, insert_deduplicate: 1 as const, deduplicate_blocks_in_dependent_materialized_views: 1 as const } : NO_TOKEN;

export function wrapClient(client: ClickHouseClient, kind: Warehouse['kind'], rawInsert?: RawInsert): Warehouse {
  return {
    kind,
    async query<T>(sql: string, params?: Record<string, unknown>) {
      const rs = await client.query({ query: sql, query_params: params, format: 'JSONEachRow' });
      return rs.json<T>();
    },
    async command(sql, params) {
      await client.command({ query: sql, query_params: params, clickhouse_settings: NO_TOKEN });
    },
    async insert(table, rows, opts = {}) {
      if (rows.length === 0) return;
      if (rawInsert) {
        const { columns, body } = compactRows(rows);
        await rawInsert(table, columns, body, tokenSettings(opts.token));
        return;
      }
      await client.insert({
        table,
        values: rows as object[],
        format: 'JSONEachRow',
        clickhouse_settings: tokenSettings(opts.token),
      });
    },
    close: () => client.close(),
  };
}
