import type { Consumer } from 'kafkajs';
import type { SessionBuffers } from '../../stream-processors/buffers/session-buffers';
import type { ProgramSnapshot } from '../../topics/types';
import type { Logger } from '../../topics/ground/logger';

/**
 * Checkpoints changed sessions to programs.snapshots, then commits the edits
 * those snapshots cover: an edit's offset is committed only once a snapshot
 * holds its effect, so a restart loses no keystroke. A failed snapshot write
 * marks the sessions dirty again and commits nothing. An offset committed
 * already is not committed again (an idle executor sent two commits a second).
 */
export function createCheckpointer(o: {
  editsTopic: string;
  buffers: Pick<SessionBuffers, 'takeDirty' | 'markDirty' | 'get'>;
  /** Writes snapshots, each to its session's partition. */
  sendSnapshots: (records: { key: string; value: ProgramSnapshot; partition?: number }[]) => Promise<unknown>;
  consumer: Pick<Consumer, 'commitOffsets'>;
  /** The edits partitions this member owns now. */
  owned: () => ReadonlySet<number>;
  logger: Logger;
}) {
  const editOffsets = new Map<number, number>();
  /** What the last successful commit said per partition. */
  const committed = new Map<number, number>();
  return {
    /** An edit at `offset` of `partition` was applied (or dead-lettered). */
    applied(partition: number, offset: number) {
      editOffsets.set(partition, offset);
    },
    /** Partitions this member lost: their edits are no longer ours to commit. */
    forget(partitions: number[]) {
      for (const p of partitions) {
        editOffsets.delete(p);
        committed.delete(p);
      }
    },
    async checkpoint() {
      const covered = new Map(editOffsets);
      const snaps = o.buffers.takeDirty();
      if (snaps.length) {
        try {
          await o.sendSnapshots(snaps.map((s) => ({ key: s.sessionId, value: s, partition: o.buffers.get(s.sessionId)?.partition })));
        } catch (err) {
          o.buffers.markDirty(snaps.map((s) => s.sessionId));
          o.logger.warn({ err: (err as Error).message }, 'snapshot write failed; will retry');
          return;
        }
      }
      const owned = o.owned();
      const due = [...covered].filter(([p, offset]) => owned.has(p) && committed.get(p) !== offset);
      const commits = due.map(([partition, offset]) => ({ topic: o.editsTopic, partition, offset: String(offset + 1) }));
      if (commits.length) {
        try {
          await o.consumer.commitOffsets(commits);
          for (const [p, offset] of due) committed.set(p, offset);
        } catch (err) {
          o.logger.warn({ err: (err as Error).message }, 'edit offset commit failed');
        }
      }
    },
  };
}
export type Checkpointer = ReturnType<typeof createCheckpointer>;
