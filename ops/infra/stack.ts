import { createKafka } from '../../topics/kafka';
import { applyTopics } from '../../topics/admin';
import { createRegistry } from '../../topics/registry';
import fs from 'node:fs';
import type { Kafka } from 'kafkajs';
import { retryUntilDone, sleep } from '../../topics/ground/retry';
import { kafkaBrokers } from './kafka/kafka';
import { apicurioRegistry } from './registry/apicurio';
import { checkClickHouse } from './clickhouse';
import type { ManagedProcess, ProcessState } from './managed-process';
import { infraSettings, type InfraSettings } from './settings';

/** The local infrastructure `conveyor up` manages, in start order. */
export function localProcesses(s: InfraSettings): ManagedProcess[] {
  const procs: ManagedProcess[] = [];
  if (s.localKafka) procs.push(...kafkaBrokers(s));
  if (s.localRegistry) procs.push(apicurioRegistry(s));
  return procs;
}

export interface UpReport { component: string; started: boolean; ms: number }

export async function up(onProgress: (msg: string) => void = () => {}, e: NodeJS.ProcessEnv = process.env): Promise<UpReport[]> {
  const s = infraSettings(e);
  const procs = localProcesses(s);
  // The broker and the registry are independent: start them together.
  const reports = await Promise.all(procs.map(async (p) => ({ component: p.name, ...(await p.start(onProgress)) })));
  const t0 = Date.now();
  const ch = await checkClickHouse(s);
  reports.push({ component: `clickhouse (${ch.kind})`, started: false, ms: Date.now() - t0 });
  const t1 = Date.now();
  const applied = await applyTopicsWhenReady(s);
  const changed = applied.filter((a) => a.action !== 'unchanged').length;
  reports.push({ component: `topics (${applied.length}, ${changed} changed)`, started: changed > 0, ms: Date.now() - t1 });
  return reports;
}

/**
 * Applies the catalog once the local brokers can take it: a cluster's nodes
 * register one by one, and its metadata reaches them a moment apart (a node may
 * not know a topic just created), so retriable errors are retried until
 * INFRA_START_TIMEOUT_MS.
 */
export async function applyTopicsWhenReady(s: InfraSettings) {
  const kafka = createKafka(s.brokers, 'conveyor-cli');
  const cluster = s.localKafka && s.KAFKA_BROKERS_LOCAL > 1;
  if (cluster) await waitForBrokers(kafka, s.KAFKA_BROKERS_LOCAL, s.INFRA_START_TIMEOUT_MS);
  return retryUntilDone(() => applyTopics(kafka, createRegistry({ url: s.registryUrl })), { initialMs: 200, maxMs: 2000 }, {
    signal: AbortSignal.timeout(s.INFRA_START_TIMEOUT_MS),
    retryable: (err) => cluster && (err as { retriable?: boolean }).retriable === true,
  });
}

/**
 * A cluster's nodes answer one by one; topics of replication factor 3 can only
 * be created once all of them have registered with the controller quorum.
 */
async function waitForBrokers(kafka: Kafka, count: number, timeoutMs: number): Promise<void> {
  const admin = kafka.admin();
  const until = Date.now() + timeoutMs;
  let seen = 0;
  try {
    await admin.connect();
    while (Date.now() < until) {
      seen = await admin.describeCluster().then((c) => c.brokers.length, () => 0);
      if (seen >= count) return;
      await sleep(250);
    }
  } finally {
    await admin.disconnect();
  }
  throw Object.assign(new Error(`only ${seen} of ${count} local brokers registered within ${timeoutMs} ms; see .state/brokers-${count}/kafka-*/kafka.log`), { code: 'start_timeout' });
}

/** Stops what `up` started, and the local brokers of the other shape (1 or N) if they still run. */
export async function down(e: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const s = infraSettings(e);
  const stopped: string[] = [];
  const procs = localProcesses(s);
  if (s.localKafka) {
    const shapes = fs.existsSync(s.stateDir) ? fs.readdirSync(s.stateDir).map((d) => /^brokers-(\d+)$/.exec(d)?.[1]).filter((x): x is string => !!x) : [];
    for (const n of ['1', ...shapes]) if (Number(n) !== s.KAFKA_BROKERS_LOCAL) procs.unshift(...kafkaBrokers(infraSettings({ ...e, KAFKA_BROKERS_LOCAL: n })));
  }
  for (const p of procs.reverse()) if (await p.stop()) stopped.push(p.name);
  return stopped;
}

export async function status(e: NodeJS.ProcessEnv = process.env): Promise<ProcessState[]> {
  return Promise.all(localProcesses(infraSettings(e)).map((p) => p.state()));
}
