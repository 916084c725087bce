import { sleep } from '../../topics/ground/retry';

/**
 * Which request partitions this member may answer for. While a rebalance is
 * under way (kafkajs's REBALANCING until GROUP_JOIN) every result is held: its
 * partition may be going to another member, which would run the request again.
 * Once joined, the results of kept partitions go out; those of lost partitions
 * never do (their runs are abandoned, and the new owner's run is the only one).
 * A hold longer than `holdMs` (the member fell out of the group) answers no.
 */
export function createPartitionFence(o: { holdMs: number }) {
  let owned = new Set<number>();
  let rejoined: { promise: Promise<void>; resolve: () => void } | null = null;

  return {
    owned: (): ReadonlySet<number> => owned,
    /** The group is rebalancing: hold results from now on. */
    rebalancing() {
      if (rejoined) return;
      let resolve!: () => void;
      rejoined = { promise: new Promise<void>((r) => (resolve = r)), resolve };
    },
    /** The group assigned these request partitions: release the held results; returns what was lost and gained. */
    joined(partitions: Iterable<number>) {
      const next = new Set(partitions);
      const lost = [...owned].filter((p) => !next.has(p));
      const gained = [...next].filter((p) => !owned.has(p));
      owned = next;
      rejoined?.resolve();
      rejoined = null;
      return { lost, gained };
    },
    /** Whether the result of a request of `partition` may be published now (waits out a rebalance). */
    async mayAnswer(partition: number): Promise<boolean> {
      const hold = rejoined;
      if (hold) {
        const abort = new AbortController();
        const joinedInTime = await Promise.race([hold.promise.then(() => true), sleep(o.holdMs, abort.signal).then(() => false)]);
        abort.abort();
        if (!joinedInTime) return false;
      }
      return owned.has(partition);
    },
  };
}
export type PartitionFence = ReturnType<typeof createPartitionFence>;
