import type { EditEvent } from '../../topics/types';
import { applyOps, EditError } from './apply-ops';
import { createSessionBuffers } from './session-buffers';

const base = { eventId: 'e', sessionId: 's1', userId: 'u', timestampMs: 1, language: 'python', dependencySet: 'python-3.11-std', hardwareClass: 'x86_64', textBytes: 0 };
const open = (text: string): EditEvent => ({ ...base, kind: 'open', baseVersion: 0, version: 1, files: [{ name: 'main.py', content: text }], ops: [] });
const edit = (baseVersion: number, offset: number, deleteCount: number, insert: string): EditEvent => ({
  ...base, kind: 'edit', baseVersion, version: baseVersion + 1, files: null, ops: [{ file: 'main.py', offset, deleteCount, insert }],
});

describe('applyOps', () => {
  it('inserts and deletes at UTF-16 offsets', () => {
    const out = applyOps(new Map([['a', 'héllo']]), [{ file: 'a', offset: 1, deleteCount: 1, insert: 'e' }, { file: 'a', offset: 5, deleteCount: 0, insert: '!' }]);
    expect(out.get('a')).toBe('hello!');
  });
  it('rejects an edit outside the text', () => {
    expect(() => applyOps(new Map([['a', 'abc']]), [{ file: 'a', offset: 2, deleteCount: 5, insert: '' }])).toThrow(EditError);
  });
  it('creates a file with an insert at offset 0 and refuses other edits to unknown files', () => {
    expect(applyOps(new Map(), [{ file: 'b.py', offset: 0, deleteCount: 0, insert: 'x' }]).get('b.py')).toBe('x');
    expect(() => applyOps(new Map(), [{ file: 'b.py', offset: 1, deleteCount: 0, insert: 'x' }])).toThrow(/does not exist/);
  });
});

describe('session buffers', () => {
  it('rebuilds the text from an open and a stream of edits, ignoring duplicates', () => {
    const b = createSessionBuffers();
    expect(b.apply(open('print(1)'), 3)).toBe('applied');
    expect(b.apply(edit(1, 6, 1, '42'), 3)).toBe('applied');
    expect(b.apply(edit(1, 6, 1, '42'), 3)).toBe('duplicate');
    expect(b.get('s1')!.files.get('main.py')).toBe('print(42)');
    expect(b.get('s1')!.version).toBe(2);
  });

  it('reports a gap instead of applying an edit to the wrong version', () => {
    const b = createSessionBuffers();
    b.apply(open('x'), 0);
    expect(b.apply(edit(5, 0, 0, 'y'), 0)).toBe('gap');
    expect(b.get('s1')!.files.get('main.py')).toBe('x');
  });

  it('wakes a waiter when the awaited version arrives, and times out otherwise', async () => {
    const b = createSessionBuffers();
    b.apply(open('a'), 0);
    const waiting = b.waitFor('s1', 2, 1000);
    b.apply(edit(1, 1, 0, 'b'), 0);
    expect((await waiting)!.files.get('main.py')).toBe('ab');
    expect(await b.waitFor('s1', 9, 20)).toBeNull();
  });

  it('checkpoints only changed sessions and restores from a snapshot', () => {
    const b = createSessionBuffers({ now: () => 7 });
    b.apply(open('a'), 2);
    const snaps = b.takeDirty();
    expect(snaps).toEqual([expect.objectContaining({ sessionId: 's1', version: 1, files: [{ name: 'main.py', content: 'a' }], updatedAtMs: 7 })]);
    expect(b.takeDirty()).toEqual([]);
    const fresh = createSessionBuffers();
    fresh.restore(snaps[0]!, 2);
    expect(fresh.apply(edit(1, 1, 0, 'b'), 2)).toBe('applied');
    expect(fresh.get('s1')!.files.get('main.py')).toBe('ab');
    expect(fresh.dropPartitions(new Set([2]))).toBe(1);
    expect(fresh.get('s1')).toBeUndefined();
  });
});
