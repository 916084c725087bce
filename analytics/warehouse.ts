import { createClient, type ClickHouseClient } from '@clickhouse/client';

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
  close(): Promise<void>;
}

export type WarehouseTarget = { url: string } | { dataDir: string };

export async function openWarehouse(target: WarehouseTarget): Promise<Warehouse> {
  if ('url' in target) return wrapClient(createClient({ url: target.url, request_timeout: 120_000 }), 'server');
  const { createChdbConnection } = await import('chdb/connection');
  const client = createClient({ connection: createChdbConnection({ path: target.dataDir }) } as Parameters<typeof createClient>[0]);
  return wrapClient(client, 'chdb');
}

export function wrapClient(client: ClickHouseClient, kind: Warehouse['kind']): Warehouse {
  return {
    kind,
    async query<T>(sql: string, params?: Record<string, unknown>) {
      const rs = await client.query({ query: sql, query_params: params, format: 'JSONEachRow' });
      return rs.json<T>();
    },
    async command(sql, params) {
      await client.command({ query: sql, query_params: params });
    },
    async insert(table, rows, opts = {}) {
      if (rows.length === 0) return;
      await client.insert({
        table,
        values: rows as object[],
        format: 'JSONEachRow',
        clickhouse_settings: opts.token
          ? { insert_deduplication_token: opts.token, insert_deduplicate: 1, deduplicate_blocks_in_dependent_materialized_views: 1 }
          : {},
      });
    },
    close: () => client.close(),
  };
}
