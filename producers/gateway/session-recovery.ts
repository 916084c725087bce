import type { Kafka } from 'kafkajs';
import { readSnapshots } from '../../stream-processors/buffers/snapshot-reader';
import { applyOps, toFiles } from '../../stream-processors/buffers/apply-ops';
import { createRangeReader, type OffsetRange } from '../../stream-processors/replay/range-reader';
import { executorGroupId, HARDWARE_CLASSES, topics } from '../../topics/catalog';
import { decodeRetrying } from '../../topics/codec';
import type { Registry } from '../../topics/registry';
import type { EditEvent, ProgramSnapshot } from '../../topics/types';
import { sleep } from '../../topics/ground/retry';

/** Finds the latest text and version of some sessions: the programs.snapshots changelog, then the edits after it. */
export type SnapshotScan = (sessionIds: ReadonlySet<string>) => Promise<Map<string, ProgramSnapshot>>;

/**
 * A snapshot brought up to the session's last durable edit: the events of
 * `events` (the session's, in log order) newer than it. A version is never
 * given out twice: a gateway that continued from a snapshot behind the log
 * would number its next edit like one an executor already holds (which the
 * executor drops as a duplicate, and then runs the older text). An edit that
 * does not follow (a gap) still moves the version on; the client's next full
 * text repairs the text.
 */
export function catchUp(snapshot: ProgramSnapshot, events: EditEvent[]): ProgramSnapshot {
  let files = new Map(snapshot.files.map((f) => [f.name, f.content]));
  let version = snapshot.version;
  let updatedAtMs = snapshot.updatedAtMs;
  for (const e of events) {
    if (e.sessionId !== snapshot.sessionId || e.kind === 'close' || e.version <= version) continue;
    if (e.files) files = new Map(e.files.map((f) => [f.name, f.content]));
    else if (e.baseVersion === version) {
      try {
        files = applyOps(files, e.ops);
      } catch {
        /* refused by the gateway that made it too; the version still moves on */
      }
    }
    version = e.version;
    updatedAtMs = e.timestampMs;
  }
  return version === snapshot.version ? snapshot : { ...snapshot, version, files: toFiles(files), updatedAtMs };
}

/**
 * The edits a snapshot may not hold yet: an executor commits an edits offset
 * only once its snapshots hold the edits below it (consumers/executor/checkpointer.ts),
 * so whatever is newer than a session's latest snapshot lies between its
 * class's committed offset and the end of the session's partition: a few
 * snapshot intervals of edits.
 */
/** Per hardware class, the edits offsets its executors committed (partition → offset). */
type CommittedEdits = Map<string, Map<number, number>>;

/**
 * Read before the snapshots, never after: an executor writes a snapshot and
 * then commits past the edits it holds, so offsets read first are covered by
 * the snapshots read next. Read after, a checkpoint landing between the two
 * reads hid an acknowledged edit from both (test/chaos/services.test.ts's
 * "rebuilds a session it holds behind..." failed now and then: the gateway
 * rebuilt the session at its old version).
 */
async function committedEdits(kafka: Kafka): Promise<CommittedEdits> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const out: CommittedEdits = new Map();
    for (const hardwareClass of HARDWARE_CLASSES) {
      const [committed] = await admin.fetchOffsets({ groupId: executorGroupId(hardwareClass), topics: [topics.edits.name] });
      out.set(hardwareClass, new Map((committed?.partitions ?? []).map((p) => [p.partition, Number(p.offset)])));
    }
    return out;
  } finally {
    await admin.disconnect();
  }
}

async function editsAfterSnapshots(kafka: Kafka, registry: Registry, found: Map<string, { snapshot: ProgramSnapshot; partition: number }>, committed: CommittedEdits): Promise<Map<string, EditEvent[]>> {
  const events = new Map<string, EditEvent[]>();
  if (!found.size) return events;
  const ranges: OffsetRange[] = [];
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = new Map((await admin.fetchTopicOffsets(topics.edits.name)).map((o) => [o.partition, { low: Number(o.low), high: Number(o.high) }]));
    const byClass = new Map<string, Set<number>>();
    for (const { snapshot, partition } of found.values()) byClass.set(snapshot.hardwareClass, (byClass.get(snapshot.hardwareClass) ?? new Set()).add(partition));
    for (const [hardwareClass, partitions] of byClass) {
      for (const partition of partitions) {
        const end = ends.get(partition);
        if (!end) continue;
        // No committed offset yet: an executor writes a snapshot before it commits the edits under it, so a snapshot
        // can exist while the partition has no commit (a new session, a loaded executor): every retained edit is newer then.
        const at = committed.get(hardwareClass)?.get(partition) ?? -1;
        const from = at >= 0 ? Math.max(end.low, at) : end.low;
        if (end.high > from) ranges.push({ topic: topics.edits.name, partition, from, to: end.high });
      }
    }
  } finally {
    await admin.disconnect();
  }
  if (!ranges.length) return events;
  const reader = await createRangeReader(kafka, [topics.edits.name], { groupPrefix: 'conveyor-gateway-recovery' });
  try {
    await reader.read(
      ranges,
      async (m) => {
        const d = await decodeRetrying(registry, m.value, topics.edits, { deadlineMs: 15000 });
        if (d.ok) events.set(d.value.sessionId, [...(events.get(d.value.sessionId) ?? []), d.value]);
      },
      { keep: (key) => key !== null && found.has(key.toString()), timeoutMs: 20000 },
    );
  } finally {
    await reader.close();
  }
  return events;
}

/** `editsPartition` is where the session's edits go (the gateway's routing table). */
export function scanAllPartitions(kafka: Kafka, registry: Registry, editsPartition: (s: ProgramSnapshot) => number): SnapshotScan {
  return async (ids) => {
    const found = new Map<string, { snapshot: ProgramSnapshot; partition: number }>();
    const committed = await committedEdits(kafka);
    const all = Array.from({ length: topics.snapshots.partitions }, (_, i) => i);
    await readSnapshots(kafka, registry, all, (s) => {
      const known = found.get(s.sessionId);
      if (ids.has(s.sessionId) && (!known || s.version > known.snapshot.version)) found.set(s.sessionId, { snapshot: s, partition: editsPartition(s) });
    });
    const newer = await editsAfterSnapshots(kafka, registry, found, committed);
    return new Map([...found].map(([id, f]) => [id, catchUp(f.snapshot, newer.get(id) ?? [])]));
  };
}

/**
 * Sessions this gateway does not hold (after its restart, or opened on
 * another gateway) are rebuilt from the compacted snapshot changelog, which
 * means reading every partition of it, and the edits newer than each snapshot. Lookups that arrive together share one
 * scan: when a gateway restarts and its people reconnect at once, they cost
 * one or two scans, not one each. A lookup that arrives during a scan waits
 * for the next one (the running scan may have passed its snapshot already).
 */
export function createSessionRecovery(scan: SnapshotScan, hooks: { onScan?: (sessions: number) => void; gatherMs?: number } = {}) {
  interface Waiter { resolve: (s: ProgramSnapshot | undefined) => void; reject: (e: Error) => void }
  let waiting = new Map<string, Waiter[]>();
  let running = false;

  async function drain(): Promise<void> {
    running = true;
    try {
      // A moment to gather the lookups of a burst into the first scan.
      await sleep(hooks.gatherMs ?? 20);
      while (waiting.size) {
        const batch = waiting;
        waiting = new Map();
        hooks.onScan?.(batch.size);
        try {
          const found = await scan(new Set(batch.keys()));
          for (const [id, ws] of batch) for (const w of ws) w.resolve(found.get(id));
        } catch (err) {
          for (const ws of batch.values()) for (const w of ws) w.reject(err as Error);
        }
      }
    } finally {
      running = false;
    }
  }

  return {
    /** The latest snapshot of a session, or undefined when it has none (never opened, or expired). */
    find(sessionId: string): Promise<ProgramSnapshot | undefined> {
      return new Promise((resolve, reject) => {
        const ws = waiting.get(sessionId);
        if (ws) ws.push({ resolve, reject });
        else waiting.set(sessionId, [{ resolve, reject }]);
        if (!running) void drain();
      });
    },
  };
}
export type SessionRecovery = ReturnType<typeof createSessionRecovery>;
