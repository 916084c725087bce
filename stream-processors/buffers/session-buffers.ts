import type { EditEvent, ProgramSnapshot } from '../../topics/types';
import { applyOps, toFiles } from './apply-ops';

/**
 * The in-memory text of every session on the partitions an executor owns,
 * rebuilt from editor.edits and checkpointed to programs.snapshots. A run
 * request names a session and a version; `waitFor` hands back that text.
 */
export interface SessionBuffer extends Omit<ProgramSnapshot, 'files'> {
  files: Map<string, string>;
  partition: number;
}

export type ApplyOutcome = 'applied' | 'duplicate' | 'gap' | 'closed' | 'invalid';

export function createSessionBuffers(opts: { now?: () => number } = {}) {
  const now = opts.now ?? Date.now;
  const buffers = new Map<string, SessionBuffer>();
  const dirty = new Set<string>();
  const waiters = new Map<string, { version: number; resolve: (b: SessionBuffer | null) => void }[]>();

  function wake(b: SessionBuffer) {
    const list = waiters.get(b.sessionId);
    if (!list) return;
    const keep = list.filter((w) => {
      if (b.version >= w.version) {
        w.resolve(b);
        return false;
      }
      return true;
    });
    if (keep.length) waiters.set(b.sessionId, keep);
    else waiters.delete(b.sessionId);
  }

  return {
    get: (sessionId: string) => buffers.get(sessionId),
    size: () => buffers.size,

    apply(e: EditEvent, partition: number): ApplyOutcome {
      const cur = buffers.get(e.sessionId);
      if (e.kind === 'close') {
        buffers.delete(e.sessionId);
        dirty.delete(e.sessionId);
        return 'closed';
      }
      if (cur && e.version <= cur.version) return 'duplicate';
      if (e.kind === 'open' || e.files) {
        const b: SessionBuffer = {
          sessionId: e.sessionId, userId: e.userId, language: e.language, dependencySet: e.dependencySet, hardwareClass: e.hardwareClass,
          version: e.version, files: new Map((e.files ?? []).map((f) => [f.name, f.content])), partition, updatedAtMs: e.timestampMs,
        };
        buffers.set(e.sessionId, b);
        dirty.add(e.sessionId);
        wake(b);
        return 'applied';
      }
      if (!cur || cur.version !== e.baseVersion) return 'gap';
      try {
        cur.files = applyOps(cur.files, e.ops);
      } catch {
        return 'invalid';
      }
      cur.version = e.version;
      cur.updatedAtMs = e.timestampMs;
      dirty.add(e.sessionId);
      wake(cur);
      return 'applied';
    },

    restore(s: ProgramSnapshot, partition: number): void {
      const cur = buffers.get(s.sessionId);
      if (cur && cur.version >= s.version) return;
      const b: SessionBuffer = {
        sessionId: s.sessionId, userId: s.userId, language: s.language, dependencySet: s.dependencySet, hardwareClass: s.hardwareClass,
        version: s.version, files: new Map(s.files.map((f) => [f.name, f.content])), partition, updatedAtMs: s.updatedAtMs,
      };
      buffers.set(s.sessionId, b);
      wake(b);
    },

    /** Resolves with the buffer once it reaches `version`, or null after timeoutMs. */
    waitFor(sessionId: string, version: number, timeoutMs: number): Promise<SessionBuffer | null> {
      const cur = buffers.get(sessionId);
      if (cur && cur.version >= version) return Promise.resolve(cur);
      return new Promise((resolve) => {
        const entry = { version, resolve: (b: SessionBuffer | null) => { clearTimeout(timer); resolve(b); } };
        const timer = setTimeout(() => {
          const list = waiters.get(sessionId)?.filter((w) => w !== entry) ?? [];
          if (list.length) waiters.set(sessionId, list);
          else waiters.delete(sessionId);
          resolve(null);
        }, timeoutMs);
        waiters.set(sessionId, [...(waiters.get(sessionId) ?? []), entry]);
      });
    },

    /** Snapshots of sessions changed since the last call, to checkpoint. */
    takeDirty(): ProgramSnapshot[] {
      const out: ProgramSnapshot[] = [];
      for (const id of dirty) {
        const b = buffers.get(id);
        if (b) out.push({ sessionId: b.sessionId, userId: b.userId, language: b.language, dependencySet: b.dependencySet, hardwareClass: b.hardwareClass, version: b.version, files: toFiles(b.files), updatedAtMs: now() });
      }
      dirty.clear();
      return out;
    },
    /** Put snapshots back when writing them failed, so they are retried. */
    markDirty(ids: string[]) {
      for (const id of ids) dirty.add(id);
    },

    dropPartitions(partitions: Set<number>): number {
      let n = 0;
      for (const [id, b] of buffers) {
        if (partitions.has(b.partition)) {
          buffers.delete(id);
          dirty.delete(id);
          n++;
        }
      }
      return n;
    },
  };
}
export type SessionBuffers = ReturnType<typeof createSessionBuffers>;
