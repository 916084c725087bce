import { z } from 'zod';
import { env, readSection } from '../../topics/ground/env';
import { paths } from '../../topics/ground/paths';
import { connectionSection, connectionsOf } from '../../topics/ground/connections';

const section = connectionSection.extend({
  KAFKA_CONTROLLER_PORT: env.port(9093),
  KAFKA_HEAP: env.heap('768m'),
  /** The broker JVM's compilers: c1 (quick compiler only) or tiered (the JVM's default, C2 for hot code); ops/infra/kafka/kafka.ts. */
  KAFKA_JIT: z.enum(['c1', 'tiered'], { message: 'must be c1 or tiered' }).default('tiered'),
  /** The broker JVM's collector: parallel (the throughput collector) or g1 (20 ms pause goal); ops/infra/kafka/kafka.ts. */
  KAFKA_GC: z.enum(['parallel', 'g1'], { message: 'must be parallel or g1' }).default('parallel'),
  REGISTRY_HEAP: env.heap('384m'),
  INFRA_START_TIMEOUT_MS: env.int(120000, 5000, 900000),
});

/** Where the infrastructure is (topics/ground/connections.ts), and how `conveyor up` runs it locally. */
export function infraSettings(e: NodeJS.ProcessEnv = process.env) {
  const c = readSection(section, e);
  const p = paths(e);
  return { ...c, stateDir: p.state, cacheDir: p.cache, ...connectionsOf(c, p.state) };
}
export type InfraSettings = ReturnType<typeof infraSettings>;
