import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Kafka } from 'kafkajs';
import type { Warehouse } from '../../analytics/warehouse';
import { readRecordedRuns } from '../../stream-processors/replay/recorded-runs';
import type { RunDiff } from '../../stream-processors/replay/run-diff';
import { ensureReplayTopics, replayTraffic, type ReplayProgress, type Target } from '../../stream-processors/replay/traffic-replay';
import type { RoutingTable } from '../../stream-processors/routing/partitioner';
import { executorGroupId, HARDWARE_CLASSES } from '../../topics/catalog';
import type { Registry } from '../../topics/registry';
import type { RunRequest } from '../../topics/types';
import { findLanguage, LANGUAGES, versionMatches } from '../../runtimes/languages';
import { startExecutorProcess } from '../services/processes';
import { stopService, type RunningService } from '../services/launcher';
import { buildReport, replayRows, writeReport, type ReplayReport } from './report';
import { stampedId, withResumer } from './jobs';

/**
 * `conveyor replay runs`: recorded runs re-executed on a baseline and a
 * candidate executor group in replay namespaces, diffed, reported (table,
 * JSON, HTML, replay_results). Each finished run is appended to
 * `<dir>/runs.jsonl` as it completes, so a cancelled replay resumes where it
 * stopped (`--resume <id>`) without running anything twice.
 */
export const BASELINE_NAMESPACE = 'replay.';

export class AgainstError extends Error {
  readonly code = 'invalid_against';
}

/** `--against`: a hardware class (arm64), `group:<name>` (an executor group in namespace replay.<name>.), or a toolchain version. */
export function parseAgainst(against: string | undefined): { target: Target; label: string } {
  if (!against) return { target: { namespace: BASELINE_NAMESPACE }, label: 'the recorded toolchain (same)' };
  if ((HARDWARE_CLASSES as readonly string[]).includes(against)) return { target: { namespace: BASELINE_NAMESPACE, hardwareClass: against }, label: `hardware class ${against}` };
  const g = /^group:([a-z][a-z0-9-]{0,40})$/.exec(against);
  if (g) return { target: { namespace: `${BASELINE_NAMESPACE}${g[1]}.` }, label: `executor group ${g[1]}` };
  const v = /^(?:version:)?([A-Za-z0-9][A-Za-z0-9._+-]{0,40})$/.exec(against);
  if (v && /\d/.test(v[1]!)) {
    const version = v[1]!;
    const having = LANGUAGES.filter((l) => versionMatches(l.version, version));
    if (!having.length) throw new AgainstError(`No toolchain in the language table has version ${version}; \`conveyor runtimes list\` shows them.`);
    // Runs of a language with that version ask for it (and its dependency set); the others keep their own toolchain.
    const toolchainOf = (req: RunRequest) => {
      const lang = findLanguage(req.language, version);
      if (!lang) return undefined;
      const recordedSets = findLanguage(req.language, req.languageVersion)?.dependencySets.map((d) => d.name) ?? [];
      const sets = lang.dependencySets.map((d) => d.name);
      const dependencySet = sets.includes(req.dependencySet) ? req.dependencySet : (sets[recordedSets.indexOf(req.dependencySet)] ?? sets[0]!);
      return { languageVersion: lang.version, dependencySet };
    };
    return { target: { namespace: BASELINE_NAMESPACE, toolchainOf }, label: `toolchain version ${version} (${having.map((l) => `${l.id} ${l.version}`).join(', ')})` };
  }
  throw new AgainstError(`--against "${against}" is neither a hardware class (${HARDWARE_CLASSES.join(', ')}), group:<name>, nor a toolchain version.`);
}

/** Who replayed: the operator's name (or OS user) and a fingerprint of the operator token they hold. */
export function operatorIdentity(token: string, name?: string): string {
  const fp = createHash('sha256').update(token).digest('hex').slice(0, 12);
  return `${name ?? os.userInfo().username} (operator token ${fp})`;
}

export interface ReplayRunsOptions {
  fromMs: number;
  toMs: number;
  language?: string;
  dependencySet?: string;
  against?: string;
  ratePerSecond?: number;
  sample?: number;
  budgetRuns?: number;
  maxInFlight?: number;
  resume?: string;
  stateDir: string;
  operator: string;
  /** Start a replay executor group for each target that has no member (default true). */
  startExecutors?: boolean;
  logDir?: string;
  warehouse?: Warehouse | null;
  signal?: AbortSignal;
  onProgress?: (p: ReplayProgress) => void;
  log?: (m: string) => void;
}

async function groupMembers(kafka: Kafka, groupId: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([groupId]);
    return groups[0]?.members.length ?? 0;
  } finally {
    await admin.disconnect();
  }
}

/** Executor groups for the targets that have none, started as child processes (stopped after the replay). */
export async function ensureReplayExecutors(kafka: Kafka, targets: { namespace: string; hardwareClass: string }[], logDir: string, log: (m: string) => void): Promise<RunningService[]> {
  const started: RunningService[] = [];
  const seen = new Set<string>();
  for (const t of targets) {
    const id = executorGroupId(t.hardwareClass, t.namespace);
    if (seen.has(id)) continue;
    seen.add(id);
    if ((await groupMembers(kafka, id)) > 0) continue;
    log(`starting replay executor group ${id}`);
    started.push(await startExecutorProcess({ logDir, name: `replay-${t.namespace.replace(/\./g, '-')}${t.hardwareClass}`, hardwareClass: t.hardwareClass, env: { EXECUTOR_TOPIC_NAMESPACE: t.namespace, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' } }));
  }
  // A member that just started joins its group within a session timeout; requests sent before wait in the topic anyway.
  return started;
}

export async function replayRuns(kafka: Kafka, registry: Registry, routing: RoutingTable, o: ReplayRunsOptions): Promise<{ report: ReplayReport; files: { json: string; html: string; jsonl: string }; dir: string }> {
  const log = o.log ?? (() => {});
  const replayId = o.resume ?? stampedId('rp');
  const dir = path.join(o.stateDir, 'replay', replayId);
  const jsonl = path.join(dir, 'runs.jsonl');
  const metaFile = path.join(dir, 'meta.json');
  let meta = { replayId, operator: o.operator, startedAtMs: Date.now(), fromMs: o.fromMs, toMs: o.toMs, language: o.language, dependencySet: o.dependencySet, against: o.against, sample: o.sample };
  const previous: RunDiff[] = [];
  if (o.resume) {
    if (!fs.existsSync(metaFile)) throw Object.assign(new Error(`No replay ${o.resume} under ${path.dirname(dir)} to resume.`), { code: 'unknown_replay' });
    const before = JSON.parse(fs.readFileSync(metaFile, 'utf8')) as typeof meta;
    meta = { ...before, operator: withResumer(before.operator, o.operator) };
    fs.writeFileSync(metaFile, JSON.stringify(meta, null, 2));
    if (fs.existsSync(jsonl)) for (const line of fs.readFileSync(jsonl, 'utf8').split('\n')) if (line.trim()) previous.push(JSON.parse(line) as RunDiff);
    log(`resuming replay ${replayId}: ${previous.length} runs already done`);
  } else {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(metaFile, JSON.stringify(meta, null, 2));
  }
  const { target: candidate, label } = parseAgainst(meta.against);
  const baseline: Target = { namespace: BASELINE_NAMESPACE };

  const recorded = await readRecordedRuns(kafka, registry, {
    fromMs: meta.fromMs, toMs: meta.toMs, language: meta.language, dependencySet: meta.dependencySet, sample: meta.sample, skip: new Set(previous.map((d) => d.runId)),
  });
  log(`${recorded.runs.length} recorded runs to replay (${recorded.recordsRead} records read in ${recorded.ms} ms; ${recorded.withoutResult} without a recorded result, ${recorded.withoutText.length} without a rebuildable program)`);
  const classes = new Set(recorded.runs.map((r) => r.request.hardwareClass));
  const targets = [...classes].flatMap((hw) => [{ namespace: baseline.namespace, hardwareClass: hw }, { namespace: candidate.namespace, hardwareClass: candidate.hardwareClass ?? hw }]);
  await ensureReplayTopics(kafka, registry, targets);
  const started = o.startExecutors === false ? [] : await ensureReplayExecutors(kafka, targets, o.logDir ?? path.join(o.stateDir, 'replay', 'executors'), log);
  let outcome;
  try {
    const out = fs.createWriteStream(jsonl, { flags: 'a' });
    outcome = await replayTraffic(kafka, registry, {
      replayId, runs: recorded.runs, baseline, candidate, partitionOf: (set, id) => routing.partitionOf(set, id),
      ratePerSecond: o.ratePerSecond, maxInFlight: o.maxInFlight, budgetRuns: o.budgetRuns, signal: o.signal,
      onResult: (d) => out.write(`${JSON.stringify(d)}\n`), onProgress: o.onProgress,
    });
    await new Promise<void>((r) => out.end(r));
  } finally {
    for (const s of started.reverse()) await stopService(s);
  }
  const report = buildReport({
    replayId, operator: meta.operator, startedAtMs: meta.startedAtMs, finishedAtMs: Date.now(), window: { fromMs: meta.fromMs, toMs: meta.toMs },
    filters: { language: meta.language, dependencySet: meta.dependencySet, sample: meta.sample, rate: o.ratePerSecond, budget: o.budgetRuns },
    against: label, cancelled: outcome.cancelled, budgetReached: outcome.budgetReached, runs: [...previous, ...outcome.diffs], skipped: recorded.withoutText,
  });
  const files = writeReport(dir, report);
  if (o.warehouse) {
    // The token makes a resumed replay's second write of the same rows a no-op.
    const rows = replayRows(report);
    if (rows.length) await o.warehouse.insert('replay_results', rows, { token: `replay-${replayId}-${rows.length}` });
  }
  return { report, files: { ...files, jsonl }, dir };
}
