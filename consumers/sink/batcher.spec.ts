import { createBatcher, tokenOf } from './batcher';

const src = (partition: number, first: number, last: number) => ({ topic: 'runs.results', partition, first, last });

describe('batcher', () => {
  it('flushes once enough rows are buffered and resolves the callers only after the write', async () => {
    const writes: [string, number, string][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const b = createBatcher({ flushRows: 3, flushMs: 60_000, maxWaiters: 10, write: async (t, rows, token) => { await gate; writes.push([t, rows.length, token]); } });
    let done = false;
    const p = Promise.all([b.add('runs', [{}, {}], src(0, 0, 1)), b.add('runs', [{}], src(1, 5, 5))]).then(() => (done = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(done).toBe(false);
    release();
    await p;
    expect(writes).toEqual([['runs', 3, tokenOf('runs', [src(0, 0, 1), src(1, 5, 5)])]]);
  });

  it('flushes after flushMs when few rows arrive, and when every caller is waiting', async () => {
    const sizes: number[] = [];
    const b = createBatcher({ flushRows: 1000, flushMs: 20, maxWaiters: 2, write: async (_t, rows) => void sizes.push(rows.length) });
    await b.add('runs', [{}], src(0, 0, 0));
    expect(sizes).toEqual([1]);
    await Promise.all([b.add('runs', [{}], src(0, 1, 1)), b.add('edit_activity', [{}, {}], src(1, 0, 1))]);
    expect(sizes).toEqual([1, 1, 2]);
  });

  it('when eager, writes the first rows after a quiet spell at once and lets the next block grow meanwhile', async () => {
    const sizes: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const b = createBatcher({ flushRows: 1000, flushMs: 50, maxWaiters: 100, eagerWhenIdle: true, write: async (_t, rows) => { sizes.push(rows.length); await gate; } });
    const first = b.add('runs', [{}], src(0, 0, 0));
    await new Promise((r) => setTimeout(r, 5));
    expect(sizes).toEqual([1]);
    const more = [b.add('runs', [{}, {}], src(0, 1, 2)), b.add('runs', [{}], src(1, 0, 0))];
    await new Promise((r) => setTimeout(r, 5));
    expect(sizes).toEqual([1]);
    expect(b.bufferedRows).toBe(3);
    release();
    await Promise.all([first, ...more]);
    expect(sizes).toEqual([1, 3]);
  });

  it('rejects the callers when the write fails, so their offsets are not committed', async () => {
    const b = createBatcher({ flushRows: 1, flushMs: 10, maxWaiters: 1, write: async () => { throw new Error('down'); } });
    await expect(b.add('runs', [{}], src(0, 0, 0))).rejects.toThrow('down');
  });

  it('derives the same token from the same offset ranges in any order', () => {
    expect(tokenOf('runs', [src(0, 0, 9), src(1, 3, 4)])).toBe(tokenOf('runs', [src(1, 3, 4), src(0, 0, 9)]));
    expect(tokenOf('runs', [src(0, 0, 9)])).not.toBe(tokenOf('runs', [src(0, 0, 10)]));
  });
});
