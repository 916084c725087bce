/**
 * At-least-once with out-of-order completion: runs of one partition finish in
 * any order, but the committed offset may only pass a request once every
 * earlier request of that partition has produced its result.
 */
export function createOffsetTracker() {
  const inFlight = new Map<string, Set<number>>();
  const highest = new Map<string, number>();
  const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;

  return {
    begin(topic: string, partition: number, offset: number) {
      const k = key(topic, partition);
      if (!inFlight.has(k)) inFlight.set(k, new Set());
      inFlight.get(k)!.add(offset);
      highest.set(k, Math.max(highest.get(k) ?? -1, offset));
    },
    end(topic: string, partition: number, offset: number) {
      inFlight.get(key(topic, partition))?.delete(offset);
    },
    /** The next offset to commit (Kafka semantics: the first unprocessed one), or null if nothing seen. */
    committable(topic: string, partition: number): number | null {
      const k = key(topic, partition);
      const hi = highest.get(k);
      if (hi === undefined) return null;
      const pending = inFlight.get(k);
      if (pending && pending.size) return Math.min(...pending);
      return hi + 1;
    },
    pending(): number {
      let n = 0;
      for (const s of inFlight.values()) n += s.size;
      return n;
    },
    forget(topic: string, partitions: number[]) {
      for (const p of partitions) {
        inFlight.delete(key(topic, p));
        highest.delete(key(topic, p));
      }
    },
  };
}
export type OffsetTracker = ReturnType<typeof createOffsetTracker>;
