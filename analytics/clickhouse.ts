import { createClient, type ClickHouseClient } from '@clickhouse/client';

/**
 * One way to reach ClickHouse for every caller: a server when CLICKHOUSE_URL
 * is set, otherwise embedded chdb on a data directory (":memory:" for a
 * throwaway engine). Only one process may own an embedded data directory.
 */
export async function openClickHouse(opts: { url?: string; path: string }): Promise<ClickHouseClient> {
  if (opts.url) return createClient({ url: opts.url, request_timeout: 120000 });
  return (await openChdb(opts.path)).client;
}

/** The embedded engine: the client, and the connection for chdb's own fast paths (rawInsert). */
export async function openChdb(path: string) {
  const { createChdbConnection } = await import('chdb/connection');
  const connection = createChdbConnection({ path });
  return { connection, client: createClient({ connection } as Parameters<typeof createClient>[0]) };
}
