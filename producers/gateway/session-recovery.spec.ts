import type { ProgramSnapshot } from '../../topics/types';
import { createSessionRecovery, type SnapshotScan } from './session-recovery';

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
