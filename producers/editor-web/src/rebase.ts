import { ChangeSet, Text } from '@codemirror/state';

/**
 * How the page keeps a person's unsent typing when someone else's version
 * arrives first: the other change is mapped over the person's (ChangeSet.map,
 * the operation @codemirror/collab's rebase is built on), so both survive and
 * the server's order decides which insertion comes first at the same place.
 */
export interface PageFile { name: string; content: string }
export interface Op { file: string; offset: number; deleteCount: number; insert: string }
/** Another peer's version: ops against the previous version, or whole files. */
export type RemoteChange = { ops: Op[] } | { files: PageFile[] };

/** The smallest single replacement that turns `a` into `b` (common prefix and suffix kept). */
export function diffOp(file: string, a: string, b: string): Op | null {
  if (a === b) return null;
  let p = 0;
  while (p < a.length && p < b.length && a.charCodeAt(p) === b.charCodeAt(p)) p++;
  let s = 0;
  while (s < a.length - p && s < b.length - p && a.charCodeAt(a.length - 1 - s) === b.charCodeAt(b.length - 1 - s)) s++;
  return { file, offset: p, deleteCount: a.length - p - s, insert: b.slice(p, b.length - s) };
}

const textOf = (s: string) => Text.of(s.split('\n'));
const opChange = (o: Op | null, length: number) => (o ? ChangeSet.of([{ from: o.offset, to: o.offset + o.deleteCount, insert: o.insert }], length) : ChangeSet.empty(length));

/** The server's next text and, per file that existed before, the change from the old text to it. */
export function remoteChanges(confirmed: PageFile[], remote: RemoteChange): { next: PageFile[]; changes: Map<string, ChangeSet> } {
  const changes = new Map<string, ChangeSet>();
  if ('files' in remote) {
    for (const f of confirmed) {
      const to = remote.files.find((x) => x.name === f.name);
      if (to) changes.set(f.name, opChange(diffOp(f.name, f.content, to.content), f.content.length));
    }
    return { next: remote.files, changes };
  }
  const text = new Map(confirmed.map((f) => [f.name, f.content]));
  for (const o of remote.ops) {
    const before = text.get(o.file);
    if (before === undefined) {
      // An insert at 0 into a file that does not exist creates it (as on the server).
      text.set(o.file, o.insert);
      continue;
    }
    const c = opChange(o, before.length);
    text.set(o.file, c.apply(textOf(before)).toString());
    const known = changes.get(o.file);
    if (known || confirmed.some((f) => f.name === o.file)) changes.set(o.file, known ? known.compose(c) : c);
  }
  return { next: [...text].map(([name, content]) => ({ name, content })), changes };
}

export interface Rebased {
  /** The server's text at the new version. */
  next: PageFile[];
  /** What to apply to each of the page's files so it shows the other change and keeps its own. */
  apply: Map<string, ChangeSet>;
  /** Files the other change created. */
  added: PageFile[];
  /** Files the other change removed (that the page had not changed). */
  removed: string[];
}

/** Maps the server's next change over the page's unsent changes (`mine` is the page's text, `confirmed` the server's previous one). */
export function rebase(confirmed: PageFile[], mine: PageFile[], remote: RemoteChange): Rebased {
  const { next, changes } = remoteChanges(confirmed, remote);
  const apply = new Map<string, ChangeSet>();
  const removed: string[] = [];
  for (const f of mine) {
    const base = confirmed.find((x) => x.name === f.name);
    const theirs = changes.get(f.name);
    if (!base) continue;
    if (!next.some((x) => x.name === f.name)) {
      if (base.content === f.content) removed.push(f.name);
      continue;
    }
    if (!theirs || theirs.empty) continue;
    const local = opChange(diffOp(f.name, base.content, f.content), base.content.length);
    // Theirs was accepted first: at the same position their insertion goes before the page's.
    apply.set(f.name, theirs.map(local, true));
  }
  const added = next.filter((x) => !mine.some((f) => f.name === x.name) && !confirmed.some((f) => f.name === x.name));
  return { next, apply, added, removed };
}

/** The page's files after a rebase (what the editor shows once it has applied it). */
export function applyRebased(mine: PageFile[], r: Rebased): PageFile[] {
  const kept = mine.filter((f) => !r.removed.includes(f.name)).map((f) => {
    const c = r.apply.get(f.name);
    return c ? { name: f.name, content: c.apply(textOf(f.content)).toString() } : f;
  });
  return [...kept, ...r.added];
}
