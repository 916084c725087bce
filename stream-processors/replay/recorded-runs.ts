import { createHash } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { HARDWARE_CLASSES, requestsTopic, topics } from '../../topics/catalog';
import { decodeValue } from '../../topics/codec';
import type { Registry } from '../../topics/registry';
import type { EditEvent, RunRequest, RunResultRecord, SourceFile } from '../../topics/types';
import { createRangeReader, type OffsetRange } from './range-reader';
import { buildHistory } from './session-history';
import { readResults } from './session-reader';

/**
 * The run requests recorded between two moments, each with its recorded
 * result and its program rebuilt from the edit log at the requested version.
 * Requests come from every runs.requests.<class> by offsets-for-times; the
 * programs from key-filtered reads of the partitions of editor.edits that hold
 * those sessions: first `lookbackMs` (10 min) before the first request, then,
 * for the sessions whose version is not rebuilt yet, windows 4× as long each
 * time (only the part not read before, only their partitions and keys), until
 * all are rebuilt or the retained log begins. The cost follows how far back the
 * sessions began, not a fixed 6 h of everybody's edits.
 */
export interface RecordedRun { request: RunRequest; result: RunResultRecord; files: SourceFile[] }

export interface RecordedRunsQuery {
  fromMs: number;
  toMs: number;
  language?: string;
  dependencySet?: string;
  hardwareClass?: string;
  /** Keep this fraction of the runs, chosen by a hash of the run id (the same runs every time). */
  sample?: number;
  /** The first window of edits read before the first request (default 10 min). */
  lookbackMs?: number;
  /** Run ids to leave out (already replayed, when resuming). */
  skip?: ReadonlySet<string>;
  timeoutMs?: number;
}

export interface RecordedRunsRead {
  runs: RecordedRun[]; withoutResult: number; withoutText: { runId: string; reason: string }[]; recordsRead: number;
  /** Windows of editor.edits read (the first, then each widening ×4): what the programs cost. */
  editWindows: number;
  ms: number;
}

/** A stable fraction in [0, 1) of a run id: sampling picks the same runs on every replay. */
export function sampleKey(runId: string): number {
  return createHash('sha1').update(runId).digest().readUInt32BE(0) / 2 ** 32;
}

export async function readRecordedRuns(kafka: Kafka, registry: Registry, q: RecordedRunsQuery): Promise<RecordedRunsRead> {
  const t0 = Date.now();
  const timeoutMs = q.timeoutMs ?? 120000;
  const classes = q.hardwareClass ? [q.hardwareClass] : [...HARDWARE_CLASSES];
  const reqTopics = classes.map((h) => requestsTopic(h));
  const admin = kafka.admin();
  await admin.connect();
  const reader = await createRangeReader(kafka, [...reqTopics.map((t) => t.name), topics.results.name, topics.edits.name]);
  let recordsRead = 0;
  try {
    const offsetsAt = async (topic: string, ms: number) => new Map((await admin.fetchTopicOffsetsByTimestamp(topic, Math.max(0, ms))).map((r) => [r.partition, Number(r.offset)]));
    // 1. The requests in [from, to].
    const requests: RunRequest[] = [];
    // The requests topics are co-partitioned with editor.edits: a request's partition is its session's.
    const partitionOfRun = new Map<string, number>();
    for (const spec of reqTopics) {
      const lo = await offsetsAt(spec.name, q.fromMs);
      const hi = await offsetsAt(spec.name, q.toMs + 1);
      const ranges: OffsetRange[] = [...lo].map(([p, from]) => ({ topic: spec.name, partition: p, from, to: hi.get(p) ?? from }));
      const r = await reader.read(ranges, async (m, range) => {
        const d = await decodeValue(registry, m.value, spec);
        if (!d.ok) return;
        const req = d.value;
        if (req.requestedAtMs < q.fromMs || req.requestedAtMs > q.toMs) return;
        if (q.language && req.language !== q.language) return;
        if (q.dependencySet && req.dependencySet !== q.dependencySet) return;
        if (q.sample !== undefined && q.sample < 1 && sampleKey(req.runId) >= q.sample) return;
        if (q.skip?.has(req.runId)) return;
        requests.push(req);
        partitionOfRun.set(req.runId, range.partition);
      }, { timeoutMs });
      recordsRead += r.records;
    }
    const unique = [...new Map(requests.map((r) => [r.runId, r])).values()].sort((a, b) => a.requestedAtMs - b.requestedAtMs);

    // 2. Their recorded results (a request without one was never answered: nothing to compare).
    const results = await readResults(admin, reader, registry, unique, 15 * 60 * 1000, timeoutMs);
    const answered = unique.filter((r) => results.has(r.runId));

    // 3. Their programs, from the edit log: a window before the first request, widened ×4 (only over the partitions
    // and keys of the sessions still missing a version) until every program is rebuilt or the retained log begins.
    const events = new Map<string, EditEvent[]>();
    const histories = new Map<string, ReturnType<typeof buildHistory>>();
    const editHi = await offsetsAt(topics.edits.name, q.toMs + 1);
    const editLow = new Map((await admin.fetchTopicOffsets(topics.edits.name)).map((r) => [r.partition, Number(r.low)]));
    const readFrom = new Map<number, number>();
    const textOf = (req: RunRequest) => {
      let h = histories.get(req.sessionId);
      if (!h) {
        h = buildHistory(req.sessionId, events.get(req.sessionId) ?? []);
        histories.set(req.sessionId, h);
      }
      return h.textAt(req.programVersion).files;
    };
    const rebuildable = (req: RunRequest) => {
      try {
        textOf(req);
        return true;
      } catch {
        return false;
      }
    };
    let missing = answered;
    let windowMs = q.lookbackMs ?? 10 * 60 * 1000;
    let windows = 0;
    while (missing.length) {
      const lo = await offsetsAt(topics.edits.name, q.fromMs - windowMs);
      const parts = new Set(missing.map((r) => partitionOfRun.get(r.runId)!));
      const ranges: OffsetRange[] = [...parts].map((p) => ({ topic: topics.edits.name, partition: p, from: lo.get(p) ?? 0, to: readFrom.get(p) ?? editHi.get(p) ?? 0 }));
      const keys = new Set(missing.map((r) => Buffer.from(r.sessionId).toString('latin1')));
      const r = await reader.read(ranges, async (m) => {
        const d = await decodeValue(registry, m.value, topics.edits);
        if (!d.ok) return;
        const list = events.get(d.value.sessionId) ?? [];
        list.push(d.value);
        events.set(d.value.sessionId, list);
        histories.delete(d.value.sessionId);
      }, { keep: (k) => k !== null && keys.has(k.toString('latin1')), timeoutMs });
      recordsRead += r.records;
      windows++;
      for (const p of parts) readFrom.set(p, Math.min(readFrom.get(p) ?? Number.MAX_SAFE_INTEGER, lo.get(p) ?? 0));
      missing = missing.filter((req) => !rebuildable(req));
      // Nothing older is retained for the partitions still missing a program: stop widening.
      if (missing.every((req) => (readFrom.get(partitionOfRun.get(req.runId)!) ?? 0) <= (editLow.get(partitionOfRun.get(req.runId)!) ?? 0))) break;
      windowMs *= 4;
    }

    const runs: RecordedRun[] = [];
    const withoutText: { runId: string; reason: string }[] = [];
    for (const req of answered) {
      try {
        runs.push({ request: req, result: results.get(req.runId)!, files: textOf(req) });
      } catch (err) {
        withoutText.push({ runId: req.runId, reason: (err as Error).message });
      }
    }
    return { runs, withoutResult: unique.length - answered.length, withoutText, recordsRead, editWindows: windows, ms: Date.now() - t0 };
  } finally {
    await reader.close().catch(() => {});
    await admin.disconnect().catch(() => {});
  }
}

