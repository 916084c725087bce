import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { applyTopics } from '../../topics/admin';
import { CONSUMER_FETCH_LIMITS, executorTopics } from '../../topics/catalog';
import { createTypedProducer, decodeValue } from '../../topics/codec';
import type { Registry } from '../../topics/registry';
import { sleep } from '../../topics/ground/retry';
import type { EditEvent, RunRequest, RunResultRecord } from '../../topics/types';
import { textBytes } from '../buffers/apply-ops';
import type { RecordedRun } from './recorded-runs';
import { diffRun, type RunDiff } from './run-diff';

/**
 * Re-executes recorded runs on replay executor groups and diffs the outcomes.
 * Every run executes twice: once on the baseline (the recorded run's own
 * hardware class and toolchain, in the "replay." namespace) to tell
 * non-deterministic programs apart, once on the candidate. Each execution is
 * a fresh session in the namespace (its full text as one open event, then the
 * request), so nothing reaches the users' topics and no executor confuses a
 * replay with a live session. Rate-limited, bounded in flight, cancellable.
 */
export interface Target {
  /** Topic namespace of the executor group, e.g. "replay." or "replay.candidate.". */
  namespace: string;
  /** Hardware class to run on; the recorded run's when absent. */
  hardwareClass?: string;
  /** Toolchain version to ask for; the recorded run's when absent. */
  languageVersion?: string;
  /**
   * The candidate toolchain of a recorded run (another version has its own
   * dependency sets); undefined keeps the recorded one, e.g. for a language
   * that has no such version.
   */
  toolchainOf?: (req: RunRequest) => { languageVersion: string; dependencySet: string } | undefined;
}

export interface ReplayProgress { done: number; total: number; changed: number; nondeterministic: number; incomplete: number }

export interface TrafficReplayOptions {
  replayId: string;
  runs: RecordedRun[];
  baseline: Target;
  candidate: Target;
  /** Partition of a (replay) session, from the routing table. */
  partitionOf: (dependencySet: string, sessionId: string) => number;
  /** Recorded runs started per second. */
  ratePerSecond?: number;
  /** Recorded runs in flight at once (each is two executions). */
  maxInFlight?: number;
  /** Stop after this many runs. */
  budgetRuns?: number;
  resultTimeoutMs?: number;
  signal?: AbortSignal;
  onResult?: (d: RunDiff) => void;
  onProgress?: (p: ReplayProgress) => void;
}

export interface TrafficReplayOutcome { diffs: RunDiff[]; cancelled: boolean; budgetReached: boolean; ms: number }

/** The topics of every namespace a replay uses, created (with their schemas) when missing. */
export async function ensureReplayTopics(kafka: Kafka, registry: Registry, targets: { namespace: string; hardwareClass: string }[]): Promise<void> {
  const specs = new Map<string, ReturnType<typeof executorTopics>[keyof ReturnType<typeof executorTopics>]>();
  for (const t of targets) for (const s of Object.values(executorTopics(t.hardwareClass, t.namespace))) specs.set(s.name, s);
  await applyTopics(kafka, registry, [...specs.values()]);
}

export async function replayTraffic(kafka: Kafka, registry: Registry, o: TrafficReplayOptions): Promise<TrafficReplayOutcome> {
  const t0 = Date.now();
  const replyTo = `replay-${o.replayId}`;
  const runs = o.runs.slice(0, o.budgetRuns ?? o.runs.length);
  const budgetReached = o.budgetRuns !== undefined && o.runs.length > o.budgetRuns;
  const namespaces = [...new Set([o.baseline.namespace, o.candidate.namespace])];
  const waiting = new Map<string, (r: RunResultRecord) => void>();
  const early = new Map<string, RunResultRecord>();
  const producer = await createTypedProducer(kafka, registry);
  const consumer = kafka.consumer({ ...CONSUMER_FETCH_LIMITS, groupId: `conveyor-replay-${o.replayId}-${randomUUID().slice(0, 8)}`, maxWaitTimeInMs: 50, sessionTimeout: 10000 });
  const resultSpecs = namespaces.map((ns) => executorTopics('x86_64', ns).results);
  const diffs: RunDiff[] = [];
  let cancelled = false;
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: resultSpecs.map((s) => s.name), fromBeginning: false });
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        if (message.headers?.replyTo?.toString() !== replyTo) return;
        const spec = resultSpecs.find((s) => s.name === topic)!;
        const d = await decodeValue(registry, message.value, spec);
        if (!d.ok) return;
        const w = waiting.get(d.value.runId);
        if (w) w(d.value);
        else early.set(d.value.runId, d.value);
      },
    });
    await joined;
    // fromBeginning=false starts at the end once the group has joined: give the first fetch a moment to pin it.
    await sleep(300);

    const execute = async (run: RecordedRun, target: Target, kind: 'b' | 'c'): Promise<RunResultRecord | null> => {
      const tc = target.toolchainOf?.(run.request);
      const req = tc ? { ...run.request, ...tc } : run.request;
      const hw = target.hardwareClass ?? req.hardwareClass;
      const t = executorTopics(hw, target.namespace);
      const sessionId = `rp.${o.replayId}.${req.runId}.${kind}`;
      const runId = `${req.runId}:${o.replayId}:${kind}`;
      const partition = o.partitionOf(req.dependencySet, sessionId);
      const files = new Map(run.files.map((f) => [f.name, f.content]));
      const open: EditEvent = {
        eventId: randomUUID(), sessionId, userId: req.userId, timestampMs: Date.now(), kind: 'open', language: req.language,
        dependencySet: req.dependencySet, hardwareClass: hw, baseVersion: req.programVersion - 1, version: req.programVersion,
        files: run.files, ops: [], textBytes: textBytes(files),
      };
      const request: RunRequest = {
        ...req, runId, sessionId, requestedAtMs: Date.now(), hardwareClass: hw, languageVersion: target.languageVersion ?? req.languageVersion,
        replyTo, streamOutput: false,
      };
      const got = new Promise<RunResultRecord | null>((resolve) => {
        const timer = setTimeout(() => { waiting.delete(runId); resolve(null); }, o.resultTimeoutMs ?? 120000);
        waiting.set(runId, (r) => { clearTimeout(timer); waiting.delete(runId); resolve(r); });
        const e = early.get(runId);
        if (e) { early.delete(runId); waiting.get(runId)!(e); }
      });
      await producer.send(t.edits, [{ key: sessionId, value: open, partition }]);
      await producer.send(t.requests, [{ key: sessionId, value: request, partition, headers: { replyTo } }]);
      return got;
    };

    const progress: { done: number; total: number; changed: number; nondeterministic: number; incomplete: number } = { done: 0, total: runs.length, changed: 0, nondeterministic: 0, incomplete: 0 };
    o.onProgress?.({ ...progress });
    const interval = o.ratePerSecond ? 1000 / o.ratePerSecond : 0;
    const maxInFlight = o.maxInFlight ?? 4;
    const inFlight = new Set<Promise<void>>();
    for (const run of runs) {
      if (o.signal?.aborted) { cancelled = true; break; }
      while (inFlight.size >= maxInFlight) await Promise.race(inFlight);
      if (o.signal?.aborted) { cancelled = true; break; }
      const p = (async () => {
        const [baseline, candidate] = await Promise.all([execute(run, o.baseline, 'b'), execute(run, o.candidate, 'c')]);
        const d = diffRun(run.result, baseline, candidate);
        diffs.push(d);
        progress.done++;
        if (d.classification === 'changed') progress.changed++;
        if (d.classification === 'nondeterministic') progress.nondeterministic++;
        if (d.classification === 'incomplete') progress.incomplete++;
        o.onResult?.(d);
        o.onProgress?.({ ...progress });
      })().finally(() => inFlight.delete(p));
      inFlight.add(p);
      if (interval) await sleep(interval, o.signal);
    }
    // Cancelled or not, the runs already started are waited for (each has its own deadline).
    await Promise.all(inFlight);
    return { diffs, cancelled, budgetReached, ms: Date.now() - t0 };
  } finally {
    await consumer.disconnect().catch(() => {});
    await producer.disconnect().catch(() => {});
  }
}
