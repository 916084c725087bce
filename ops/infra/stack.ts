import { createKafka } from '../../topics/kafka';
import { applyTopics } from '../../topics/admin';
import { createRegistry } from '../../topics/registry';
import { kafkaBroker } from './kafka/kafka';
import { apicurioRegistry } from './registry/apicurio';
import { checkClickHouse } from './clickhouse';
import type { ManagedProcess, ProcessState } from './managed-process';
import { infraSettings, type InfraSettings } from './settings';

/** The local infrastructure `conveyor up` manages, in start order. */
export function localProcesses(s: InfraSettings): ManagedProcess[] {
  const procs: ManagedProcess[] = [];
  if (s.localKafka) procs.push(kafkaBroker(s));
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
  const kafka = createKafka(s.brokers, 'conveyor-cli');
  const applied = await applyTopics(kafka, createRegistry({ url: s.registryUrl }));
  const changed = applied.filter((a) => a.action !== 'unchanged').length;
  reports.push({ component: `topics (${applied.length}, ${changed} changed)`, started: changed > 0, ms: Date.now() - t1 });
  return reports;
}

export async function down(e: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const stopped: string[] = [];
  for (const p of localProcesses(infraSettings(e)).reverse()) if (await p.stop()) stopped.push(p.name);
  return stopped;
}

export async function status(e: NodeJS.ProcessEnv = process.env): Promise<ProcessState[]> {
  return Promise.all(localProcesses(infraSettings(e)).map((p) => p.state()));
}
