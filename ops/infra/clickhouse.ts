import { openClickHouse } from '../../analytics/clickhouse';
import type { InfraSettings } from './settings';

/** `up` checks that the engine loads and answers, without taking the data dir. */
export async function checkClickHouse(s: InfraSettings): Promise<{ kind: 'embedded chdb' | 'server'; version: string }> {
  const client = await openClickHouse({ url: s.CLICKHOUSE_URL, path: ':memory:' });
  try {
    const rs = await client.query({ query: 'SELECT version() AS v', format: 'JSONEachRow' });
    const [row] = await rs.json<{ v: string }>();
    return { kind: s.CLICKHOUSE_URL ? 'server' : 'embedded chdb', version: row!.v };
  } finally {
    await client.close();
  }
}
