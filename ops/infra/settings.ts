import path from 'node:path';
import { z } from 'zod';
import { env, readSection } from '../../topics/ground/env';
import { paths } from '../../topics/ground/paths';

const section = z.object({
  KAFKA_PORT: env.port(9092),
  KAFKA_CONTROLLER_PORT: env.port(9093),
  KAFKA_HEAP: env.heap('768m'),
  KAFKA_BROKERS: z.string().regex(/^[^,\s]+:\d+(,[^,\s]+:\d+)*$/, 'must be host:port[,host:port…]').optional(),
  REGISTRY_PORT: env.port(8081),
  REGISTRY_HEAP: env.heap('384m'),
  SCHEMA_REGISTRY_URL: z.string().url('must be a URL such as http://127.0.0.1:8081/apis/ccompat/v7').optional(),
  CLICKHOUSE_URL: z.string().url('must be a URL such as http://127.0.0.1:8123').optional(),
  INFRA_START_TIMEOUT_MS: env.int(120000, 5000, 900000),
});

/** Where the infrastructure is, and whether `conveyor up` runs it locally. */
export function infraSettings(e: NodeJS.ProcessEnv = process.env) {
  const c = readSection(section, e);
  const p = paths(e);
  return {
    ...c,
    stateDir: p.state,
    cacheDir: p.cache,
    brokers: (c.KAFKA_BROKERS ?? `127.0.0.1:${c.KAFKA_PORT}`).split(','),
    localKafka: c.KAFKA_BROKERS === undefined,
    registryUrl: c.SCHEMA_REGISTRY_URL ?? `http://127.0.0.1:${c.REGISTRY_PORT}/apis/ccompat/v7`,
    localRegistry: c.SCHEMA_REGISTRY_URL === undefined,
    clickhouseDataDir: path.join(p.state, 'clickhouse'),
  };
}
export type InfraSettings = ReturnType<typeof infraSettings>;
