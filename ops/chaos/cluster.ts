import fs from 'node:fs';
import path from 'node:path';
import { createKafka } from '../../topics/kafka';
import { requestsTopic, topics } from '../../topics/catalog';
import { kafkaBrokers } from '../infra/kafka/kafka';
import type { ManagedProcess } from '../infra/managed-process';
import { infraSettings } from '../infra/settings';
import { applyTopicsWhenReady } from '../infra/stack';

/**
 * A 3-broker KRaft cluster for the broker chaos: the developer's own when
 * `conveyor up` runs one (KAFKA_BROKERS_LOCAL=3), otherwise a private one
 * beside the shared broker (ports KAFKA_PORT + 10100…, its own state dir,
 * the shared schema registry), started here and removed by stop().
 */
export interface ChaosCluster {
  brokers: ManagedProcess[];
  /** What the services of a scenario need to use it (KAFKA_BROKERS). */
  env: NodeJS.ProcessEnv;
  addresses: string[];
  owned: boolean;
  stop(): Promise<void>;
}

export async function chaosCluster(onProgress: (m: string) => void = () => undefined): Promise<ChaosCluster> {
  const own = infraSettings();
  if (own.localKafka && own.KAFKA_BROKERS_LOCAL >= 3) {
    return { brokers: kafkaBrokers(own), env: {}, addresses: own.brokers, owned: false, stop: async () => undefined };
  }
  const dir = path.join(own.stateDir, 'chaos-cluster');
  const e = { ...process.env, CONVEYOR_STATE_DIR: dir, KAFKA_BROKERS_LOCAL: '3', KAFKA_PORT: String(own.KAFKA_PORT + 10100), KAFKA_CONTROLLER_PORT: String(own.KAFKA_PORT + 10101), KAFKA_HEAP: '384m' };
  const s = infraSettings(e);
  const brokers = kafkaBrokers(s);
  const stop = async () => {
    await Promise.all(brokers.map((b) => b.stop(5000)));
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await Promise.all(brokers.map((b) => b.start(onProgress)));
    await applyTopicsWhenReady(s);
  } catch (err) {
    await stop();
    throw err;
  }
  return { brokers, env: { KAFKA_BROKERS: s.brokers.join(',') }, addresses: s.brokers, owned: true, stop };
}

/** The node that leads the most partitions of the edits, the x86_64 requests and the results. */
export async function busiestLeader(addresses: string[]): Promise<{ nodeId: number; leads: number; of: number }> {
  const admin = createKafka(addresses, 'conveyor-chaos').admin();
  await admin.connect();
  try {
    const meta = await admin.fetchTopicMetadata({ topics: [topics.edits.name, requestsTopic('x86_64').name, topics.results.name] });
    const counts = new Map<number, number>();
    let of = 0;
    for (const t of meta.topics) for (const p of t.partitions) (counts.set(p.leader, (counts.get(p.leader) ?? 0) + 1), of++);
    const [nodeId, leads] = [...counts].sort((a, b) => b[1] - a[1])[0]!;
    return { nodeId, leads, of };
  } finally {
    await admin.disconnect();
  }
}
