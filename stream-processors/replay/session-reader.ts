import type { Admin, Kafka } from 'kafkajs';
import { HARDWARE_CLASSES, requestsTopic, topics, type TopicSpec } from '../../topics/catalog';
import { decodeValue } from '../../topics/codec';
import { DefaultPartitioner } from '../../topics/partitioner';
import type { Registry } from '../../topics/registry';
import type { EditEvent, ProgramSnapshot, RunRequest, RunResultRecord } from '../../topics/types';
import { createRangeReader, type OffsetRange, type RangeReader } from './range-reader';
import { buildHistory, checkAgainstSnapshot, type SessionHistory, type SnapshotCheck } from './session-history';

/**
 * Reads one session from the logs without scanning them. The routing names
 * the partition (or the few candidates when the dependency set is unknown);
 * Kafka's offsets-for-times turns moments into offsets, and a backward search
 * in growing windows (10 min, 40 min, 160 min, …) stops at the window that
 * holds the session's first open. Only records whose key is the session id
 * are decoded. The cost is the records of one partition between (roughly)
 * the session's start and the moment asked for: see docs/decisions/replay-sessions.md.
 */
export interface SessionRun {
  runId: string;
  version: number;
  requestedAtMs: number;
  /** The run's final status, or "pending" when no result is in the log (yet). */
  status: string;
  exitCode: number | null;
  request: RunRequest;
  result: RunResultRecord | null;
}

export interface SessionReadCost { windows: number; recordsRead: number; recordsDecoded: number; editPartitionsRead: number; ms: number }

export interface SessionRead {
  history: SessionHistory;
  partition: number;
  runs: SessionRun[];
  snapshot: SnapshotCheck | null;
  cost: SessionReadCost;
}

export class SessionNotFoundError extends Error {
  readonly code = 'unknown_session';
}

export interface SessionReadOptions {
  sessionId: string;
  /** Candidate partitions of editor.edits (from the routing): one when the dependency set is known. */
  partitions: number[];
  /** Read the log up to this moment (for `--at`); the end of the log when absent. */
  untilMs?: number;
  firstWindowMs?: number;
  withRuns?: boolean;
  withSnapshot?: boolean;
  /** How long after its request a run's result may appear (bounds the results read). */
  resultHorizonMs?: number;
  timeoutMs?: number;
  /** Read the edits from this topic instead of editor.edits (a namespaced copy, e.g. the benchmark's). */
  editsTopic?: TopicSpec<EditEvent>;
}

/** The partitions of editor.edits where a session can be, from the routing table. */
export function candidatePartitions(routing: { ranges: { set: string }[]; partitionOf(set: string, sessionId: string): number }, sessionId: string, dependencySet?: string): number[] {
  if (dependencySet) return [routing.partitionOf(dependencySet, sessionId)];
  return [...new Set(routing.ranges.map((r) => routing.partitionOf(r.set, sessionId)))].sort((a, b) => a - b);
}

async function offsetsAt(admin: Admin, topic: string, ms: number): Promise<Map<number, number>> {
  const rows = await admin.fetchTopicOffsetsByTimestamp(topic, Math.max(0, Math.round(ms)));
  return new Map(rows.map((r) => [r.partition, Number(r.offset)]));
}

async function bounds(admin: Admin, topic: string): Promise<Map<number, { low: number; high: number }>> {
  const rows = await admin.fetchTopicOffsets(topic);
  return new Map(rows.map((r) => [r.partition, { low: Number(r.low), high: Number(r.high) }]));
}

const isFirstOpen = (e: EditEvent) => e.kind === 'open' && e.baseVersion === 0;

/** Reads a session's history (and optionally its runs and snapshot) with one reader. */
export async function readSession(kafka: Kafka, registry: Registry, o: SessionReadOptions): Promise<SessionRead> {
  const t0 = Date.now();
  const timeoutMs = o.timeoutMs ?? 30000;
  const deadline = t0 + timeoutMs;
  const left = () => Math.max(1000, deadline - Date.now());
  const editsSpec = o.editsTopic ?? topics.edits;
  const topicNames = [editsSpec.name, ...HARDWARE_CLASSES.map((h) => requestsTopic(h).name), topics.results.name, topics.snapshots.name];
  const admin = kafka.admin();
  await admin.connect();
  let reader: RangeReader | undefined;
  try {
    reader = await createRangeReader(kafka, topicNames);
    const keyBuf = Buffer.from(o.sessionId);
    const keep = (k: Buffer | null) => k !== null && k.equals(keyBuf);
    const cost: SessionReadCost = { windows: 0, recordsRead: 0, recordsDecoded: 0, editPartitionsRead: o.partitions.length, ms: 0 };

    // 1. The edits: backward search by time from the end (or from --at).
    const editBounds = await bounds(admin, editsSpec.name);
    const end = o.untilMs !== undefined ? await offsetsAt(admin, editsSpec.name, o.untilMs + 1) : new Map([...editBounds].map(([p, b]) => [p, b.high]));
    let candidates = o.partitions.filter((p) => editBounds.has(p));
    const hi = new Map(candidates.map((p) => [p, end.get(p) ?? editBounds.get(p)!.high]));
    const events: EditEvent[] = [];
    const where = new Map<number, number>();
    let windowMs = o.firstWindowMs ?? 10 * 60 * 1000;
    let t = o.untilMs ?? Date.now();
    let reachedStart = false;
    for (;;) {
      const fromMs = t - windowMs;
      const lo = await offsetsAt(admin, editsSpec.name, fromMs);
      const ranges: OffsetRange[] = candidates.map((p) => ({ topic: editsSpec.name, partition: p, from: Math.max(editBounds.get(p)!.low, Math.min(lo.get(p) ?? 0, hi.get(p)!)), to: hi.get(p)! }));
      cost.windows++;
      const r = await reader.read(ranges, async (m, range) => {
        const d = await decodeValue(registry, m.value, editsSpec);
        if (d.ok && d.value.sessionId === o.sessionId) {
          events.push(d.value);
          where.set(range.partition, (where.get(range.partition) ?? 0) + 1);
        }
      }, { keep, timeoutMs: left() });
      cost.recordsRead += r.records;
      cost.recordsDecoded += r.kept;
      if (where.size) candidates = candidates.filter((p) => where.has(p));
      for (const rg of ranges) hi.set(rg.partition, rg.from);
      if (events.some(isFirstOpen)) break;
      reachedStart = candidates.every((p) => hi.get(p)! <= editBounds.get(p)!.low) || fromMs <= 0;
      if (reachedStart) break;
      if (Date.now() > deadline) throw new Error(`Reading session ${o.sessionId} did not finish within ${timeoutMs} ms.`);
      t = fromMs;
      windowMs *= 4;
    }
    if (!events.length) throw new SessionNotFoundError(`Session ${o.sessionId} has no edits in the retained log.`);
    const partition = [...where.entries()].sort((a, b) => b[1] - a[1])[0]![0];
    const history = buildHistory(o.sessionId, events, { truncated: !events.some(isFirstOpen) });

    // 2. The runs made from it: the co-partitioned requests topic, then their results.
    const runs: SessionRun[] = [];
    if (o.withRuns !== false && history.versions.length) {
      const reqTopic = requestsTopic(history.hardwareClass || 'x86_64').name;
      const startMs = history.versions[0]!.timestampMs;
      const rb = await bounds(admin, reqTopic);
      const rlo = (await offsetsAt(admin, reqTopic, startMs - 1000)).get(partition) ?? 0;
      const rhi = o.untilMs !== undefined ? ((await offsetsAt(admin, reqTopic, o.untilMs + 1)).get(partition) ?? 0) : (rb.get(partition)?.high ?? 0);
      const requests: RunRequest[] = [];
      const r = await reader.read([{ topic: reqTopic, partition, from: Math.max(rlo, rb.get(partition)?.low ?? 0), to: rhi }], async (m) => {
        const d = await decodeValue(registry, m.value, requestsTopic(history.hardwareClass));
        if (d.ok && d.value.sessionId === o.sessionId) requests.push(d.value);
      }, { keep, timeoutMs: left() });
      cost.recordsRead += r.records;
      cost.recordsDecoded += r.kept;
      const results = await readResults(admin, reader, registry, requests, o.resultHorizonMs ?? 15 * 60 * 1000, left(), cost);
      const seen = new Set<string>();
      for (const req of requests.sort((a, b) => a.requestedAtMs - b.requestedAtMs)) {
        if (seen.has(req.runId)) continue;
        seen.add(req.runId);
        const res = results.get(req.runId) ?? null;
        runs.push({
          runId: req.runId, version: req.programVersion, requestedAtMs: req.requestedAtMs, status: res?.status ?? 'pending',
          exitCode: res ? (res.run?.exitCode ?? res.compile?.exitCode ?? null) : null, request: req, result: res,
        });
      }
    }

    // 3. The executors' latest snapshot, when there is one, as a check of the rebuild.
    let snapshot: SnapshotCheck | null = null;
    if (o.withSnapshot !== false) {
      const sb = (await bounds(admin, topics.snapshots.name)).get(partition);
      let latest: ProgramSnapshot | undefined;
      if (sb) {
        const r = await reader.read([{ topic: topics.snapshots.name, partition, from: sb.low, to: sb.high }], async (m) => {
          const d = await decodeValue(registry, m.value, topics.snapshots);
          if (d.ok && d.value.sessionId === o.sessionId && (!latest || d.value.version > latest.version)) latest = d.value;
        }, { keep, timeoutMs: left(), idleMs: 3000 });
        cost.recordsRead += r.records;
        cost.recordsDecoded += r.kept;
      }
      if (latest && (o.untilMs === undefined || latest.updatedAtMs <= o.untilMs)) snapshot = checkAgainstSnapshot(history, latest);
    }
    cost.ms = Date.now() - t0;
    return { history, partition, runs, snapshot, cost };
  } finally {
    await reader?.close().catch(() => {});
    await admin.disconnect().catch(() => {});
  }
}

const resultsPartitioner = DefaultPartitioner();

/** The partition of runs.results a run's result goes to (the producers' default, key-hashed partitioner). */
export function resultPartition(runId: string, partitions = topics.results.partitions): number {
  const partitionMetadata = Array.from({ length: partitions }, (_, i) => ({ partitionId: i, leader: 0, replicas: [0], isr: [0], partitionErrorCode: 0 }));
  return resultsPartitioner({ topic: topics.results.name, partitionMetadata, message: { key: runId, value: null } });
}

/** Results of some runs: only the partitions their ids hash to, only from the first request to the last plus a horizon. */
export async function readResults(admin: Admin, reader: RangeReader, registry: Registry, requests: RunRequest[], horizonMs: number, timeoutMs: number, cost?: SessionReadCost): Promise<Map<string, RunResultRecord>> {
  const out = new Map<string, RunResultRecord>();
  if (!requests.length) return out;
  const ids = new Set(requests.map((r) => r.runId));
  const parts = new Set(requests.map((r) => resultPartition(r.runId)));
  const minMs = Math.min(...requests.map((r) => r.requestedAtMs));
  const maxMs = Math.max(...requests.map((r) => r.requestedAtMs));
  const rb = await bounds(admin, topics.results.name);
  const lo = await offsetsAt(admin, topics.results.name, minMs - 1000);
  const hi = await offsetsAt(admin, topics.results.name, maxMs + horizonMs);
  const ranges = [...parts].filter((p) => rb.has(p)).map((p) => ({ topic: topics.results.name, partition: p, from: Math.max(rb.get(p)!.low, lo.get(p) ?? 0), to: Math.min(rb.get(p)!.high, hi.get(p) ?? rb.get(p)!.high) }));
  const r = await reader.read(ranges, async (m) => {
    const d = await decodeValue(registry, m.value, topics.results);
    // A redelivered run has several results; the highest attempt is the one users saw last.
    if (d.ok && ids.has(d.value.runId)) {
      const prev = out.get(d.value.runId);
      if (!prev || d.value.attempt >= prev.attempt) out.set(d.value.runId, d.value);
    }
  }, { keep: (k) => k !== null && ids.has(k.toString()), timeoutMs });
  if (cost) {
    cost.recordsRead += r.records;
    cost.recordsDecoded += r.kept;
  }
  return out;
}
