import type { Consumer } from 'kafkajs';
import type { SessionBuffers } from '../../stream-processors/buffers/session-buffers';
import type { ProgramSnapshot } from '../../topics/types';
import type { Logger } from '../../topics/ground/logger';

export type RestoreReport = { partitions: number[]; records: number; ms: number };

/**
 * What a rebalance means for this member: buffers and offsets of lost
 * partitions are dropped; the buffers of gained partitions are rebuilt from
 * programs.snapshots while their edits are paused, and an edit fetched before
 * the pause took effect waits (`ready`) until its partition is restored.
 */
export function createRestore(o: {
  editsTopic: string;
  consumer: Pick<Consumer, 'pause' | 'resume'>;
  buffers: Pick<SessionBuffers, 'dropPartitions' | 'restore'>;
  readSnapshots: (partitions: number[], onSnapshot: (s: ProgramSnapshot, partition: number) => void) => Promise<{ records: number; ms: number }>;
  /** Called with the lost partitions so other pieces forget them too (offsets, edit commits). */
  onLost: (partitions: number[]) => void;
  onRestore?: (r: RestoreReport) => void;
  logger: Logger;
  executorId: string;
}) {
  let owned = new Set<number>();
  let restoring: Promise<void> = Promise.resolve();
  const restoringParts = new Map<number, Promise<void>>();

  return {
    /** The edits partitions this member owns now. */
    owned: (): ReadonlySet<number> => owned,
    /** Settles when the latest restore finished (a run request waits for it before looking for its text). */
    settled: () => restoring,
    /** Settles when `partition`'s buffers may take edits. */
    ready: (partition: number): Promise<void> | undefined => restoringParts.get(partition),
    /** The group assigned these edits partitions to this member. */
    assigned(partitions: Iterable<number>) {
      const assigned = new Set(partitions);
      const lost = [...owned].filter((p) => !assigned.has(p));
      const gained = [...assigned].filter((p) => !owned.has(p));
      owned = assigned;
      o.buffers.dropPartitions(new Set(lost));
      o.onLost(lost);
      o.logger.info({ executorId: o.executorId, partitions: [...assigned], gained, lost }, 'partitions assigned');
      if (!gained.length) return;
      // Rebuild the buffers of new partitions before their edits are applied.
      o.consumer.pause([{ topic: o.editsTopic, partitions: gained }]);
      restoring = o
        .readSnapshots(gained, (s, p) => o.buffers.restore(s, p))
        .then((r) => {
          o.onRestore?.({ partitions: gained, ...r });
          o.logger.info({ executorId: o.executorId, ...r, partitions: gained }, 'buffers restored from programs.snapshots');
        })
        .catch((err) => o.logger.error({ err: (err as Error).message }, 'restore failed'))
        .finally(() => {
          for (const p of gained) restoringParts.delete(p);
          try {
            o.consumer.resume([{ topic: o.editsTopic, partitions: gained }]);
          } catch (err) {
            // A member drained while it restored has already left the group: nothing to resume.
            o.logger.warn({ err: (err as Error).message }, 'edits not resumed after restore');
          }
        });
      for (const p of gained) restoringParts.set(p, restoring);
    },
  };
}
export type Restore = ReturnType<typeof createRestore>;
