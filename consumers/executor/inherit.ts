import type { Logger } from '../../topics/ground/logger';
import { retryUntilDone } from '../../topics/ground/retry';
import type { OffsetTracker } from './offset-tracker';

export type CommittedOffset = { partition: number; offset: string; metadata: string | null };

/**
 * A member that gains request partitions reads what their previous owner
 * committed (offset and hand-over metadata, offset-tracker.ts) before it takes
 * a request of them, so requests the previous owner already answered are not
 * run again. A read that keeps failing is given up after `deadlineMs`: the
 * partition is then run from the consumer's position (duplicates possible,
 * never a loss).
 */
export function createInheritance(o: {
  topic: string;
  tracker: Pick<OffsetTracker, 'inherit'>;
  fetchCommitted: () => Promise<CommittedOffset[]>;
  logger: Logger;
  deadlineMs: number;
}) {
  const reading = new Map<number, Promise<void>>();
  const generation = new Map<number, number>();

  return {
    /** Settles when requests of `partition` may be taken. */
    ready: (partition: number): Promise<void> | undefined => reading.get(partition),
    gained(partitions: number[]) {
      if (!partitions.length) return;
      const mine = new Map(partitions.map((p) => [p, (generation.get(p) ?? 0) + 1]));
      for (const [p, g] of mine) generation.set(p, g);
      const abort = new AbortController();
      const deadline = setTimeout(() => abort.abort(), o.deadlineMs);
      const read = retryUntilDone(o.fetchCommitted, { initialMs: 100, maxMs: 2000 }, { signal: abort.signal })
        .then((committed) => {
          for (const c of committed) {
            // Only the latest gain of a partition writes its state (it may have been lost and gained again meanwhile).
            const g = mine.get(c.partition);
            if (g === undefined || g !== generation.get(c.partition) || Number(c.offset) < 0) continue;
            o.tracker.inherit(o.topic, c.partition, Number(c.offset), c.metadata);
          }
        })
        .catch((err) => o.logger.warn({ partitions, err: (err as Error).message }, 'committed offsets not read; these partitions may run some requests again'))
        .finally(() => {
          clearTimeout(deadline);
          for (const [p, g] of mine) if (generation.get(p) === g) reading.delete(p);
        });
      for (const p of partitions) reading.set(p, read);
    },
  };
}
export type Inheritance = ReturnType<typeof createInheritance>;
