import { randomUUID } from 'node:crypto';
import type { EditEvent, SourceFile } from '../../topics/types';
import { applyOps, textBytes, toFiles } from '../../stream-processors/buffers/apply-ops';
import type { RoutingTable } from '../../stream-processors/routing/partitioner';
import type { ResolvedRuntime } from './runtime-catalog';
import { ApiError, badRequest } from './errors';
import type { GatewaySettings } from './settings';

export interface GatewaySession {
  id: string;
  userId: string;
  runtime: ResolvedRuntime;
  version: number;
  files: Map<string, string>;
  partition: number;
  lastFile: string;
}

/**
 * The gateway's copy of each open session: it validates edits against the
 * current version before they become events, and can resynchronise a client
 * that is behind or ahead. The executors rebuild the same text from the events.
 */
export function createSessionStore(deps: { routing: RoutingTable; settings: GatewaySettings; now?: () => number }) {
  const { routing, settings } = deps;
  const now = deps.now ?? Date.now;
  const sessions = new Map<string, GatewaySession>();

  function checkFiles(files: SourceFile[]) {
    if (files.length > settings.MAX_FILES) throw badRequest('too_many_files', `A program may have at most ${settings.MAX_FILES} files.`);
    const names = new Set<string>();
    for (const f of files) {
      if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*(\/[A-Za-z0-9_][A-Za-z0-9_.-]*)*$/.test(f.name) || f.name.includes('..')) {
        throw badRequest('invalid_file_name', `File name "${f.name}" is not allowed: use letters, digits, "_", "-", "." and "/" without "..".`);
      }
      if (names.has(f.name)) throw badRequest('duplicate_file', `File "${f.name}" appears twice.`);
      names.add(f.name);
    }
    checkSize(new Map(files.map((f) => [f.name, f.content])));
  }
  /** The program's size in bytes, refused above the limit (one pass over the text: it is most of an edit's work for a large program). */
  function checkSize(files: Map<string, string>): number {
    const bytes = textBytes(files);
    if (bytes > settings.MAX_PROGRAM_BYTES) {
      throw new ApiError(413, 'program_too_large', `The program is ${bytes} bytes; the limit is ${settings.MAX_PROGRAM_BYTES} bytes.`);
    }
    return bytes;
  }

  function event(s: GatewaySession, kind: EditEvent['kind'], baseVersion: number, extra: Partial<EditEvent>, bytes = textBytes(s.files)): EditEvent {
    return {
      eventId: randomUUID(), sessionId: s.id, userId: s.userId, timestampMs: now(), kind, language: s.runtime.language,
      dependencySet: s.runtime.dependencySet, hardwareClass: s.runtime.hardwareClass, baseVersion, version: s.version,
      files: null, ops: [], textBytes: bytes, ...extra,
    };
  }

  return {
    get: (id: string) => sessions.get(id),
    size: () => sessions.size,
    checkFiles,

    open(userId: string, runtime: ResolvedRuntime, files: SourceFile[], id: string = `s-${randomUUID()}`, version = 1): { session: GatewaySession; event: EditEvent } {
      checkFiles(files);
      const s: GatewaySession = {
        id, userId, runtime, version, files: new Map(files.map((f) => [f.name, f.content])),
        partition: routing.partitionOf(runtime.dependencySet, id), lastFile: files[0]!.name,
      };
      sessions.set(id, s);
      return { session: s, event: event(s, 'open', version - 1, { files }) };
    },

    /** Applies an edit made against baseVersion; a stale base yields a resync instead. */
    edit(s: GatewaySession, baseVersion: number, ops: { file?: string; offset: number; deleteCount: number; insert: string }[]):
      | { ok: true; event: EditEvent }
      | { ok: false; reason: string } {
      if (baseVersion !== s.version) {
        return { ok: false, reason: baseVersion < s.version ? `Your version ${baseVersion} is behind the server's ${s.version}.` : `Your version ${baseVersion} is ahead of the server's ${s.version}.` };
      }
      if (ops.length > settings.MAX_OPS_PER_EDIT) throw badRequest('too_many_ops', `An edit may carry at most ${settings.MAX_OPS_PER_EDIT} operations.`);
      const full = ops.map((o) => ({ file: o.file ?? s.lastFile, offset: o.offset, deleteCount: o.deleteCount, insert: o.insert }));
      let next: Map<string, string>;
      try {
        next = applyOps(s.files, full);
      } catch (err) {
        throw badRequest((err as { code: string }).code, (err as Error).message);
      }
      if (next.size > settings.MAX_FILES) throw badRequest('too_many_files', `A program may have at most ${settings.MAX_FILES} files.`);
      const bytes = checkSize(next);
      s.files = next;
      s.version += 1;
      return { ok: true, event: event(s, 'edit', s.version - 1, { ops: full }, bytes) };
    },

    /** Replaces the whole text (last writer wins): how a client that was resynchronised restores its own text. */
    set(s: GatewaySession, files: SourceFile[]): EditEvent {
      checkFiles(files);
      s.files = new Map(files.map((f) => [f.name, f.content]));
      s.version += 1;
      s.lastFile = files[0]!.name;
      return event(s, 'open', s.version - 1, { files });
    },

    /** The whole text at the current version, without a new version: repairs an executor that lost it. */
    restate(s: GatewaySession): EditEvent {
      return event(s, 'open', s.version - 1, { files: toFiles(s.files) });
    },

    close(id: string) {
      sessions.delete(id);
    },
  };
}
export type SessionStore = ReturnType<typeof createSessionStore>;
