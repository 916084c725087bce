/**
 * Requests of this member's partitions still waiting in Kafka: each
 * partition's end offset minus the next offset this member takes (the offset
 * after the last it took, or the group's committed offset for a partition it
 * has taken nothing from yet: a member blocked on a full queue may never reach
 * some partitions), both read every `refreshMs`. A full local queue stops fetching (executor.ts backpressure),
 * so under overload the rest of the queue is here; the queue report carries
 * the count and admission counts it into a new run's wait
 * (docs/decisions/scheduling-admission.md).
 * Without a full queue every request is taken as it is fetched and nothing
 * waits here, so the offsets (four or five requests to the broker) are read
 * only while the queue was full since the last reading (`pressed`), or the
 * last reading left something waiting, and at least every `idleRefreshMs`.
 */
export interface PartitionOffsets { partition: number; high: string; committed?: string | null }

export function createBacklog(deps: { offsets: () => Promise<PartitionOffsets[]>; refreshMs: number; idleRefreshMs?: number; onError?: (err: Error) => void; now?: () => number }) {
  const now = deps.now ?? Date.now;
  const idleRefreshMs = deps.idleRefreshMs ?? 30000;
  const ends = new Map<number, number>();
  const committed = new Map<number, number>();
  const next = new Map<number, number>();
  let timer: NodeJS.Timeout | undefined;
  let refreshing = false;
  let readAt = 0;
  let pressed = false;

  /** Whether any partition read so far has requests beyond what this member took (or the group committed). */
  function waiting(): boolean {
    for (const [p, end] of ends) {
      const taken = next.get(p);
      const c = committed.get(p);
      const at = taken === undefined ? c : c === undefined ? taken : Math.max(taken, c);
      if (at !== undefined && end > at) return true;
    }
    return false;
  }

  /** The timer's turn: read the offsets if something may wait in Kafka, or the last reading is old. */
  function tick() {
    if (pressed || waiting() || now() - readAt >= idleRefreshMs) return refresh();
  }

  async function refresh() {
    if (refreshing) return;
    refreshing = true;
    pressed = false;
    try {
      const at = now();
      for (const o of await deps.offsets()) {
        ends.set(o.partition, Math.max(ends.get(o.partition) ?? 0, Number(o.high)));
        const c = Number(o.committed ?? -1);
        if (c >= 0) committed.set(o.partition, c);
        else committed.delete(o.partition);
      }
      readAt = at;
    } catch (err) {
      deps.onError?.(err as Error);
    } finally {
      refreshing = false;
    }
  }

  return {
    refresh,
    /** This member took the request at `offset` (running, queued or answered at once). */
    taken(partition: number, offset: number) {
      next.set(partition, Math.max(next.get(partition) ?? 0, offset + 1));
      // The end is at least past what was taken, even between refreshes.
      ends.set(partition, Math.max(ends.get(partition) ?? 0, offset + 1));
    },
    /** The local queue is full: requests wait in Kafka, read the offsets at the next turn. */
    pressed() {
      pressed = true;
    },
    tick,
    /** Partitions this member no longer owns. */
    forget(partitions: number[]) {
      for (const p of partitions) next.delete(p);
    },
    /** Requests waiting in the owned partitions; a partition with neither a taken nor a committed offset counts 0 (unknown). */
    count(owned: Iterable<number>): number {
      let n = 0;
      for (const p of owned) {
        const end = ends.get(p);
        const taken = next.get(p);
        const c = committed.get(p);
        const at = taken === undefined ? c : c === undefined ? taken : Math.max(taken, c);
        if (end !== undefined && at !== undefined) n += Math.max(0, end - at);
      }
      return n;
    },
    /** When the offsets behind count() were read (0: not yet). */
    readAt: () => readAt,
    start() {
      void refresh();
      timer = setInterval(() => void tick(), deps.refreshMs);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
    },
  };
}
export type Backlog = ReturnType<typeof createBacklog>;
