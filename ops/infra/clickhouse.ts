import { createClient } from '@clickhouse/client';
import type { InfraSettings } from './settings';

/**
 * ClickHouse is either embedded (chdb, in the process that owns the data
 * directory: the analytics service) or a server at CLICKHOUSE_URL. `up`
 * checks that the engine loads and answers, without taking the data dir.
 */
export async function checkClickHouse(s: InfraSettings): Promise<{ kind: 'embedded chdb' | 'server'; version: string }> {
  if (s.CLICKHOUSE_URL) {
    const client = createClient({ url: s.CLICKHOUSE_URL });
    try {
      const rs = await client.query({ query: 'SELECT version() AS v', format: 'JSONEachRow' });
      const [row] = await rs.json<{ v: string }>();
      return { kind: 'server', version: row!.v };
    } finally {
      await client.close();
    }
  }
  const { createChdbConnection } = await import('chdb/connection');
  const client = createClient({ connection: createChdbConnection({ path: ':memory:' }) } as Parameters<typeof createClient>[0]);
  try {
    const rs = await client.query({ query: 'SELECT version() AS v', format: 'JSONEachRow' });
    const [row] = await rs.json<{ v: string }>();
    return { kind: 'embedded chdb', version: row!.v };
  } finally {
    await client.close();
  }
}
