import type { EditEvent, ProgramSnapshot, SourceFile } from '../../topics/types';
import { applyOps, toFiles } from '../buffers/apply-ops';

/**
 * A session's text at any version or moment, rebuilt from its edit events
 * alone. Pure: the reader (session-reader.ts) finds the events on Kafka, this
 * file replays them. Events carrying full text (an open, a resynchronised
 * client's restore) reset the text; every other event applies its operations
 * to the version it names as its base.
 */
export interface VersionPoint { version: number; timestampMs: number }

export interface SessionText { sessionId: string; version: number; timestampMs: number; files: SourceFile[] }

export class HistoryError extends Error {
  constructor(readonly code: 'version_not_found' | 'before_first_version' | 'history_gap', message: string) {
    super(message);
    this.name = 'HistoryError';
  }
}

export interface SessionHistory {
  sessionId: string;
  /** Language, dependency set and hardware class as of the first event. */
  language: string;
  dependencySet: string;
  hardwareClass: string;
  userId: string;
  versions: VersionPoint[];
  /** True when the session's first open is older than the retained log. */
  truncated: boolean;
  /** The text at a version (exactly that version). */
  textAt(version: number): SessionText;
  /** The text of the last version made at or before a moment. */
  textAtTime(atMs: number): SessionText;
}

/** Keeps one event per version, in version order; a redelivered or stale event is dropped. */
export function orderEvents(events: EditEvent[]): EditEvent[] {
  const sorted = [...events].sort((a, b) => a.version - b.version || Number(b.files !== null) - Number(a.files !== null) || a.timestampMs - b.timestampMs);
  const out: EditEvent[] = [];
  for (const e of sorted) {
    if (e.kind === 'close') continue;
    const last = out[out.length - 1];
    if (last && last.version === e.version) continue;
    out.push(e);
  }
  return out;
}

export function buildHistory(sessionId: string, raw: EditEvent[], opts: { truncated?: boolean } = {}): SessionHistory {
  const events = orderEvents(raw.filter((e) => e.sessionId === sessionId));
  // Texts are rebuilt lazily and remembered every CHECKPOINT versions, so a
  // timeline that asks for many versions does not replay from the start each time.
  const CHECKPOINT = 64;
  const checkpoints = new Map<number, Map<string, string>>();
  const versions = events.map((e) => ({ version: e.version, timestampMs: e.timestampMs }));
  const first = events[0];

  function textAt(version: number): SessionText {
    const idx = events.findIndex((e) => e.version === version);
    if (idx < 0) {
      const firstVersion = events[0]?.version;
      if (firstVersion !== undefined && version < firstVersion) throw new HistoryError('before_first_version', `Session ${sessionId} starts at version ${firstVersion} in the retained log; version ${version} is older.`);
      throw new HistoryError('version_not_found', `Session ${sessionId} has no version ${version} (it has ${versions.length} versions${versions.length ? `, ${versions[0]!.version} to ${versions[versions.length - 1]!.version}` : ''}).`);
    }
    // Start from the nearest full text or checkpoint at or before the version.
    let start = idx;
    while (start > 0 && !events[start]!.files && !checkpoints.has(start)) start--;
    let files: Map<string, string>;
    if (checkpoints.has(start) && !events[start]!.files) files = checkpoints.get(start)!;
    else if (events[start]!.files) files = new Map(events[start]!.files!.map((f) => [f.name, f.content]));
    else throw new HistoryError('history_gap', `Session ${sessionId} has no full text at or before version ${version} in the retained log.`);
    for (let i = start + 1; i <= idx; i++) {
      const e = events[i]!;
      if (e.files) files = new Map(e.files.map((f) => [f.name, f.content]));
      else {
        if (e.baseVersion !== events[i - 1]!.version) throw new HistoryError('history_gap', `Version ${e.version} of session ${sessionId} applies to version ${e.baseVersion}, but the log holds ${events[i - 1]!.version} before it.`);
        files = applyOps(files, e.ops);
      }
      if (i % CHECKPOINT === 0) checkpoints.set(i, files);
    }
    const e = events[idx]!;
    return { sessionId, version: e.version, timestampMs: e.timestampMs, files: toFiles(files) };
  }

  return {
    sessionId,
    language: first?.language ?? '',
    dependencySet: first?.dependencySet ?? '',
    hardwareClass: first?.hardwareClass ?? '',
    userId: first?.userId ?? '',
    versions,
    truncated: opts.truncated ?? false,
    textAt,
    textAtTime(atMs) {
      let found: VersionPoint | undefined;
      for (const v of versions) if (v.timestampMs <= atMs) found = v;
      if (!found) throw new HistoryError('before_first_version', `Session ${sessionId} had no version at ${new Date(atMs).toISOString()}${versions.length ? `; its first is at ${new Date(versions[0]!.timestampMs).toISOString()}` : ''}.`);
      return textAt(found.version);
    },
  };
}

export interface SnapshotCheck { version: number; matches: boolean; mismatchedFiles: string[] }

/** Compares the rebuilt text with the executors' latest snapshot, at the snapshot's version. */
export function checkAgainstSnapshot(history: SessionHistory, snapshot: ProgramSnapshot): SnapshotCheck {
  let rebuilt: SessionText;
  try {
    rebuilt = history.textAt(snapshot.version);
  } catch {
    return { version: snapshot.version, matches: false, mismatchedFiles: snapshot.files.map((f) => f.name) };
  }
  const mine = new Map(rebuilt.files.map((f) => [f.name, f.content]));
  const theirs = new Map(snapshot.files.map((f) => [f.name, f.content]));
  const names = new Set([...mine.keys(), ...theirs.keys()]);
  const mismatchedFiles = [...names].filter((n) => mine.get(n) !== theirs.get(n)).sort();
  return { version: snapshot.version, matches: mismatchedFiles.length === 0, mismatchedFiles };
}
