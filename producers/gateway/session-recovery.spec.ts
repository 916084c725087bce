import type { EditEvent, ProgramSnapshot } from '../../topics/types';
import { catchUp, createSessionRecovery, type SnapshotScan } from './session-recovery';

const snap = (sessionId: string, version: number) => ({ sessionId, version }) as unknown as ProgramSnapshot;

describe('session recovery', () => {
  it('serves a burst of lookups with one scan and gives each its own session', async () => {
    const scans: string[][] = [];
    const scan: SnapshotScan = async (ids) => {
      scans.push([...ids].sort());
      await new Promise((r) => setTimeout(r, 20));
      return new Map([...ids].filter((id) => id !== 'gone').map((id) => [id, snap(id, id.length)]));
    };
    const r = createSessionRecovery(scan, { gatherMs: 5 });
    const ids = ['a', 'bb', 'ccc', 'gone', 'a'];
    const found = await Promise.all(ids.map((id) => r.find(id)));
    expect(scans).toEqual([['a', 'bb', 'ccc', 'gone']]);
    expect(found.map((f) => f?.sessionId)).toEqual(['a', 'bb', 'ccc', undefined, 'a']);
  });

  it('a lookup that arrives during a scan waits for the next one; a failed scan fails only its own lookups', async () => {
    const scans: string[][] = [];
    let fail = true;
    const scan: SnapshotScan = async (ids) => {
      scans.push([...ids]);
      await new Promise((r) => setTimeout(r, 30));
      if (fail) {
        fail = false;
        throw new Error('broker unavailable');
      }
      return new Map([...ids].map((id) => [id, snap(id, 1)]));
    };
    const r = createSessionRecovery(scan, { gatherMs: 1 });
    const first = r.find('x');
    await new Promise((r2) => setTimeout(r2, 10));
    const second = r.find('y');
    await expect(first).rejects.toThrow('broker unavailable');
    await expect(second).resolves.toMatchObject({ sessionId: 'y' });
    expect(scans).toEqual([['x'], ['y']]);
  });
});

describe('a recovered session caught up on the edits after its snapshot', () => {
  const snapshot: ProgramSnapshot = { sessionId: 's', userId: 'u', language: 'python', dependencySet: 'python-3.11-std', hardwareClass: 'x86_64', version: 3, files: [{ name: 'main.py', content: 'ab' }], updatedAtMs: 1 };
  const ev = (version: number, extra: Partial<EditEvent>): EditEvent => ({
    eventId: `e${version}`, sessionId: 's', userId: 'u', timestampMs: 100 + version, kind: 'edit', language: 'python', dependencySet: 'python-3.11-std',
    hardwareClass: 'x86_64', baseVersion: version - 1, version, files: null, ops: [], textBytes: 0, ...extra,
  });

  it('applies the newer edits and whole texts in order, skipping what the snapshot holds and other sessions', () => {
    const r = catchUp(snapshot, [
      ev(2, { ops: [{ file: 'main.py', offset: 0, deleteCount: 0, insert: 'old' }] }),
      ev(3, { kind: 'open', files: [{ name: 'main.py', content: 'ab' }] }),
      ev(4, { ops: [{ file: 'main.py', offset: 2, deleteCount: 0, insert: 'c' }] }),
      ev(5, { sessionId: 'other', ops: [{ file: 'main.py', offset: 0, deleteCount: 2, insert: '' }] }),
      ev(5, { kind: 'open', files: [{ name: 'main.py', content: 'abcd' }] }),
      ev(6, { ops: [{ file: 'main.py', offset: 0, deleteCount: 1, insert: 'A' }] }),
    ]);
    expect(r).toMatchObject({ version: 6, files: [{ name: 'main.py', content: 'Abcd' }], updatedAtMs: 106 });
  });

  it('never hands out a version the log already has, even after a gap', () => {
    const r = catchUp(snapshot, [ev(5, { ops: [{ file: 'main.py', offset: 0, deleteCount: 0, insert: 'x' }] })]);
    expect(r.version).toBe(5);
    expect(r.files).toEqual(snapshot.files);
  });

  it('returns the snapshot itself when nothing is newer', () => {
    expect(catchUp(snapshot, [ev(3, { ops: [] })])).toBe(snapshot);
  });
});
