import type { Consumer } from 'kafkajs';
import type { Logger } from '../../topics/ground/logger';
import type { OffsetTracker } from './offset-tracker';

export const COMMIT_INTERVAL_MS = 200;

/**
 * Commits of finished runs are gathered for COMMIT_INTERVAL_MS: one request for
 * many runs (the broker's CPU per run mattered more than the slightly wider
 * redelivery window: at 150 runs/s, 5 commits a second instead of 20; only a
 * crash re-runs what finished since the last commit, and the gateway delivers
 * one result per run; a rebalance or a drain commits at once). What is committed per partition is the tracker's
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

  async function flush() {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const partitions = [...due];
    const offsets = partitions.flatMap((partition) => {
      const offset = o.tracker.committable(o.topic, partition);
      return offset === null ? [] : [{ topic: o.topic, partition, offset: String(offset), metadata: o.tracker.handOver(o.topic, partition) }];
    });
    due.clear();
    if (!offsets.length) return;
    try {
      await o.consumer.commitOffsets(offsets);
    } catch (err) {
      // A rebalance is under way: committed again once the group is joined (retry), if the partition stayed here.
      for (const p of partitions) refused.add(p);
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
    /** The group is joined again: commit what was refused meanwhile, for the partitions still `owned`. */
    retry(owned: ReadonlySet<number>) {
      for (const p of refused) if (owned.has(p)) due.add(p);
      refused.clear();
      return flush();
    },
  };
}
export type CommitBatcher = ReturnType<typeof createCommitBatcher>;
