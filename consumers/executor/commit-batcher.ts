import type { Consumer } from 'kafkajs';
import type { Logger } from '../../topics/ground/logger';
import type { OffsetTracker } from './offset-tracker';

export const COMMIT_INTERVAL_MS = 500;

/** What a commit request carries per partition. */
type Offset = { topic: string; partition: number; offset: string; metadata?: string | null };

/**
 * Commits of finished runs are gathered for COMMIT_INTERVAL_MS: one request for
 * many runs (the broker's CPU per run mattered more than the slightly wider
 * redelivery window: at 150 runs/s, 2 commits a second instead of 20; only a
 * crash re-runs what finished since the last commit, and the gateway delivers
 * one result per run; a rebalance or a drain commits at once). The edits'
 * checkpoint (every 500 ms) commits through `along`, and takes the runs' due
 * commits with it: one request for both instead of two, and the interval's own
 * timer only fires when no checkpoint came first. What is committed per partition is the tracker's
 * committable offset, so a commit never passes an unfinished run, with the
 * tracker's hand-over metadata (the requests above it already answered), so
 * the partition's next owner does not run those again.
 */
export function createCommitBatcher(o: {
  topic: string;
  tracker: OffsetTracker;
  consumer: Pick<Consumer, 'commitOffsets'>;
  logger: Logger;
  intervalMs?: number;
}) {
  const due = new Set<number>();
  const refused = new Set<number>();
  let timer: NodeJS.Timeout | undefined;

  /** Commits what is due, and `extra` in the same request; rejects (after noting the due partitions refused) if it failed. */
  async function commitDue(extra: Offset[]) {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const partitions = [...due];
    const offsets: Offset[] = partitions.flatMap((partition) => {
      const offset = o.tracker.committable(o.topic, partition);
      return offset === null ? [] : [{ topic: o.topic, partition, offset: String(offset), metadata: o.tracker.handOver(o.topic, partition) }];
    });
    due.clear();
    if (!offsets.length && !extra.length) return;
    try {
      await o.consumer.commitOffsets(extra.length ? [...offsets, ...extra] : offsets);
    } catch (err) {
      // A rebalance is under way: committed again once the group is joined (retry), if the partition stayed here.
      for (const p of partitions) refused.add(p);
      throw err;
    }
  }

  async function flush() {
    try {
      await commitDue([]);
    } catch (err) {
      o.logger.warn({ err: (err as Error).message }, 'offset commit failed');
    }
  }

  return {
    /** A run of `partition` finished: commit what may be committed there, soon. */
    commit(partition: number) {
      due.add(partition);
      timer ??= setTimeout(() => void flush(), o.intervalMs ?? COMMIT_INTERVAL_MS);
    },
    /** Commits what is due now (drain, and a rebalance starting: before this member rejoins). */
    flush,
    /**
     * Commits `offsets` (another topic of the same group: the edits a checkpoint covers) in one request with the
     * runs' commits due now; rejects if that request failed (the runs' partitions are then retried as after any refused commit).
     */
    along: (offsets: Offset[]) => commitDue(offsets),
    /** The group is joined again: commit what was refused meanwhile, for the partitions still `owned`. */
    retry(owned: ReadonlySet<number>) {
      for (const p of refused) if (owned.has(p)) due.add(p);
      refused.clear();
      return flush();
    },
  };
}
export type CommitBatcher = ReturnType<typeof createCommitBatcher>;
