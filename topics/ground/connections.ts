import path from 'node:path';
import { z } from 'zod';
import { env, readSection } from './env';
import { paths } from './paths';

/**
 * Where the shared services are, for every process that talks to them (gateway,
 * executor, sink, benches, tests): Kafka brokers, the schema registry and
 * ClickHouse. Unset means the local ones `conveyor up` runs. How those local
 * ones are run (heaps, controller port, start timeout) is ops' business
 * (ops/infra/settings.ts), which extends this section.
 */
export const connectionSection = z.object({
  KAFKA_PORT: env.port(9092),
  /** How many brokers `conveyor up` runs locally: 1, or a KRaft cluster of 3 (ports KAFKA_PORT + 2·i). */
  KAFKA_BROKERS_LOCAL: env.int(1, 1, 5),
  KAFKA_BROKERS: z.string().regex(/^[^,\s]+:\d+(,[^,\s]+:\d+)*$/, 'must be host:port[,host:port…]').optional(),
  REGISTRY_PORT: env.port(8081),
  SCHEMA_REGISTRY_URL: z.string().url('must be a URL such as http://127.0.0.1:8081/apis/ccompat/v7').optional(),
  CLICKHOUSE_URL: z.string().url('must be a URL such as http://127.0.0.1:8123').optional(),
});

/** The client ports of the local brokers: KAFKA_PORT, then every second port (the odd ones are their controllers'). */
export function localBrokerPorts(kafkaPort: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => kafkaPort + 2 * i);
}

/** The addresses derived from a read connection section. */
export function connectionsOf(c: z.infer<typeof connectionSection>, stateDir: string) {
  return {
    brokers: c.KAFKA_BROKERS?.split(',') ?? localBrokerPorts(c.KAFKA_PORT, c.KAFKA_BROKERS_LOCAL).map((p) => `127.0.0.1:${p}`),
    localKafka: c.KAFKA_BROKERS === undefined,
    registryUrl: c.SCHEMA_REGISTRY_URL ?? `http://127.0.0.1:${c.REGISTRY_PORT}/apis/ccompat/v7`,
    localRegistry: c.SCHEMA_REGISTRY_URL === undefined,
    clickhouseDataDir: path.join(stateDir, 'clickhouse'),
  };
}

export function connectionSettings(e: NodeJS.ProcessEnv = process.env) {
  const c = readSection(connectionSection, e);
  return { ...c, ...connectionsOf(c, paths(e).state) };
}
export type ConnectionSettings = ReturnType<typeof connectionSettings>;
