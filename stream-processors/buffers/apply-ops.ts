import type { EditOp, SourceFile } from '../../topics/types';

export class EditError extends Error {
  constructor(readonly code: 'edit_out_of_range' | 'unknown_file' | 'invalid_file', message: string) {
    super(message);
    this.name = 'EditError';
  }
}

/**
 * Applies insert/delete operations, in order, to a session's files. Offsets
 * count UTF-16 code units, as browser editors do. A new file is created by an
 * insert at offset 0 into a name that does not exist yet.
 */
export function applyOps(files: Map<string, string>, ops: EditOp[]): Map<string, string> {
  const next = new Map(files);
  for (const op of ops) {
    const text = next.get(op.file);
    if (text === undefined) {
      if (op.offset !== 0 || op.deleteCount !== 0) throw new EditError('unknown_file', `File "${op.file}" does not exist in this session; create it with an insert at offset 0.`);
      next.set(op.file, op.insert);
      continue;
    }
    if (op.offset < 0 || op.deleteCount < 0 || op.offset + op.deleteCount > text.length) {
      throw new EditError('edit_out_of_range', `Edit at offset ${op.offset} deleting ${op.deleteCount} is outside "${op.file}" (length ${text.length}).`);
    }
    next.set(op.file, text.slice(0, op.offset) + op.insert + text.slice(op.offset + op.deleteCount));
  }
  return next;
}

export function toFiles(files: Map<string, string>): SourceFile[] {
  return [...files].map(([name, content]) => ({ name, content }));
}

export function textBytes(files: Map<string, string>): number {
  let n = 0;
  for (const [name, content] of files) n += Buffer.byteLength(content) + Buffer.byteLength(name);
  return n;
}
