/**
 * At-least-once with out-of-order completion: runs of one partition finish in
 * any order, but the committed offset may only pass a request once every
 * earlier request of that partition has produced its result.
 *
 * The requests above the committed offset that were already answered must not
 * run again when the partition moves (two results for one run): the commit
 * carries them in its metadata (`handOver`), and the partition's next owner
 * starts from it (`inherit`), running only what was still owed.
 */
const METADATA_PREFIX = 'conveyor/1 ';
/** Kafka refuses commit metadata above offset.metadata.max.bytes (default 4096). */
export const MAX_METADATA_CHARS = 3000;

type PartitionState = { highest: number; inFlight: Set<number>; owed: Set<number> };

export function createOffsetTracker() {
  const parts = new Map<string, PartitionState>();
  const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;
  const state = (topic: string, partition: number) => {
    const k = key(topic, partition);
    if (!parts.has(k)) parts.set(k, { highest: -1, inFlight: new Set(), owed: new Set() });
    return parts.get(k)!;
  };
  const unanswered = (s: PartitionState) => [...s.inFlight, ...s.owed];

  function committable(topic: string, partition: number): number | null {
    const s = parts.get(key(topic, partition));
    if (!s || s.highest < 0) return null;
    const open = unanswered(s);
    return open.length ? Math.min(...open) : s.highest + 1;
  }

  function begin(topic: string, partition: number, offset: number) {
    const s = state(topic, partition);
    s.owed.delete(offset);
    s.inFlight.add(offset);
    s.highest = Math.max(s.highest, offset);
  }
  function end(topic: string, partition: number, offset: number) {
    parts.get(key(topic, partition))?.inFlight.delete(offset);
  }

  return {
    begin,
    end,
    /** A taken request whose result was not published after all: owed again, so a redelivery runs it. */
    reopen(topic: string, partition: number, offset: number) {
      const s = parts.get(key(topic, partition));
      if (!s?.inFlight.delete(offset)) return;
      s.owed.add(offset);
    },
    /** A request answered at once (dead-lettered, expired, already run): it counts as done. */
    answered(topic: string, partition: number, offset: number) {
      begin(topic, partition, offset);
      end(topic, partition, offset);
    },
    /** Whether this request was taken already (running, or answered): a redelivery of it must not run. */
    seen(topic: string, partition: number, offset: number): boolean {
      const s = parts.get(key(topic, partition));
      return !!s && offset <= s.highest && !s.owed.has(offset);
    },
    /** The next offset to commit (Kafka semantics: the first unprocessed one), or null if nothing seen. */
    committable,
    /** The commit metadata: the highest request taken and those below it still unanswered, so the next owner runs only those. */
    handOver(topic: string, partition: number): string | null {
      const s = parts.get(key(topic, partition));
      const from = committable(topic, partition);
      if (!s || from === null || s.highest < from) return null;
      let highest = s.highest;
      let open = unanswered(s).filter((o) => o > from).sort((a, b) => a - b);
      const encode = () => `${METADATA_PREFIX}${highest - from} ${open.map((o) => o - from).join(',')}`;
      // Too many to tell: claim less. The next owner runs again what is above `highest` (a duplicate, never a loss).
      while (encode().length > MAX_METADATA_CHARS && open.length) {
        highest = open.pop()! - 1;
      }
      return encode();
    },
    /** Takes over a partition from its committed offset and the previous owner's handOver metadata. */
    inherit(topic: string, partition: number, committed: number, metadata: string | null) {
      const s = state(topic, partition);
      s.inFlight.clear();
      s.owed.clear();
      s.highest = committed - 1;
      if (!metadata?.startsWith(METADATA_PREFIX)) return;
      const [above, open] = metadata.slice(METADATA_PREFIX.length).split(' ');
      const highest = committed + Number(above);
      if (!Number.isSafeInteger(highest) || highest < committed) return;
      s.highest = highest;
      // The committed offset itself is always owed: it is the first unanswered request.
      s.owed.add(committed);
      for (const d of (open ?? '').split(',').filter(Boolean)) {
        const o = committed + Number(d);
        if (Number.isSafeInteger(o) && o <= highest) s.owed.add(o);
      }
    },
    pending(): number {
      let n = 0;
      for (const s of parts.values()) n += s.inFlight.size;
      return n;
    },
    forget(topic: string, partitions: number[]) {
      for (const p of partitions) parts.delete(key(topic, p));
    },
  };
}
export type OffsetTracker = ReturnType<typeof createOffsetTracker>;
