import type { Kafka } from 'kafkajs';
import { readSnapshots } from '../../stream-processors/buffers/snapshot-reader';
import { topics } from '../../topics/catalog';
import type { Registry } from '../../topics/registry';
import type { ProgramSnapshot } from '../../topics/types';
import { sleep } from '../../topics/ground/retry';

/** Finds the latest snapshots of some sessions; a scan of the programs.snapshots changelog. */
export type SnapshotScan = (sessionIds: ReadonlySet<string>) => Promise<Map<string, ProgramSnapshot>>;

export function scanAllPartitions(kafka: Kafka, registry: Registry): SnapshotScan {
  return async (ids) => {
    const found = new Map<string, ProgramSnapshot>();
    const all = Array.from({ length: topics.snapshots.partitions }, (_, i) => i);
    await readSnapshots(kafka, registry, all, (s) => {
      const known = found.get(s.sessionId);
      if (ids.has(s.sessionId) && (!known || s.version > known.version)) found.set(s.sessionId, s);
    });
    return found;
  };
}

/**
 * Sessions this gateway does not hold (after its restart, or opened on
 * another gateway) are rebuilt from the compacted snapshot changelog, which
 * means reading every partition of it. Lookups that arrive together share one
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
