import type { EditEvent } from '../../topics/types';
import { buildHistory, checkAgainstSnapshot, HistoryError } from './session-history';

const base = { sessionId: 's1', userId: 'u', language: 'python', dependencySet: 'python-3.11-std', hardwareClass: 'x86_64', textBytes: 0 };
const open = (files: string, version = 1, t = 1000): EditEvent => ({ ...base, eventId: `o${version}`, timestampMs: t, kind: 'open', baseVersion: version - 1, version, files: [{ name: 'main.py', content: files }], ops: [] });
const edit = (version: number, offset: number, insert: string, t: number, deleteCount = 0): EditEvent => ({ ...base, eventId: `e${version}`, timestampMs: t, kind: 'edit', baseVersion: version - 1, version, files: null, ops: [{ file: 'main.py', offset, deleteCount, insert }] });
const text = (h: ReturnType<typeof buildHistory>, v: number) => h.textAt(v).files[0]!.content;

describe('session history', () => {
  it('rebuilds the text at every version from the open and the edits, whatever order they were read in', () => {
    const events = [open(''), ...'print(1)'.split('').map((ch, i) => edit(i + 2, i, ch, 1000 + (i + 1) * 10))];
    const h = buildHistory('s1', [...events].reverse());
    expect(h.versions.map((v) => v.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(text(h, 1)).toBe('');
    expect(text(h, 6)).toBe('print');
    expect(text(h, 9)).toBe('print(1)');
  });

  it('finds the last version made at or before a moment', () => {
    const h = buildHistory('s1', [open('a'), edit(2, 1, 'b', 2000), edit(3, 2, 'c', 3000)]);
    expect(h.textAtTime(2999)).toMatchObject({ version: 2, timestampMs: 2000 });
    expect(h.textAtTime(3000).files[0]!.content).toBe('abc');
    expect(() => h.textAtTime(999)).toThrow(HistoryError);
  });

  it('drops redelivered events and takes a full-text restore as the new base', () => {
    const events = [open('x'), edit(2, 1, 'y', 2000), edit(2, 1, 'y', 2000), open('restored', 3, 3000), edit(4, 0, '>', 4000)];
    const h = buildHistory('s1', events);
    expect(h.versions).toHaveLength(4);
    expect(text(h, 2)).toBe('xy');
    expect(text(h, 4)).toBe('>restored');
  });

  it('reuses checkpoints for long histories and gives the same text as a replay from the start', () => {
    const events = [open('')];
    for (let v = 2; v <= 300; v++) events.push(edit(v, 0, String(v % 10), v * 10, v % 7 === 0 ? 1 : 0));
    const h = buildHistory('s1', events);
    const late = text(h, 290);
    const fresh = buildHistory('s1', events);
    expect(text(fresh, 290)).toBe(late);
    expect(text(h, 300).length).toBeGreaterThan(200);
  });

  it('says which version is missing and when a gap makes a version unrebuildable', () => {
    const h = buildHistory('s1', [open('a'), edit(2, 1, 'b', 2000), edit(4, 0, 'z', 4000)]);
    expect(() => h.textAt(9)).toThrow(expect.objectContaining({ code: 'version_not_found' }));
    expect(() => h.textAt(4)).toThrow(expect.objectContaining({ code: 'history_gap' }));
  });

  it('checks the rebuild against a snapshot', () => {
    const h = buildHistory('s1', [open('a'), edit(2, 1, 'b', 2000)]);
    const snap = { ...base, version: 2, files: [{ name: 'main.py', content: 'ab' }], updatedAtMs: 2000 };
    expect(checkAgainstSnapshot(h, snap)).toEqual({ version: 2, matches: true, mismatchedFiles: [] });
    expect(checkAgainstSnapshot(h, { ...snap, files: [{ name: 'main.py', content: 'abc' }] })).toMatchObject({ matches: false, mismatchedFiles: ['main.py'] });
  });
});
