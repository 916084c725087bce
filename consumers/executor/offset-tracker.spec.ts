import { createOffsetTracker, MAX_METADATA_CHARS } from './offset-tracker';

describe('offset tracker', () => {
  it('does not commit past a request whose run has not finished', () => {
    const t = createOffsetTracker();
    t.begin('r', 0, 10);
    t.begin('r', 0, 11);
    t.begin('r', 0, 12);
    t.end('r', 0, 12);
    t.end('r', 0, 11);
    expect(t.committable('r', 0)).toBe(10);
    t.end('r', 0, 10);
    expect(t.committable('r', 0)).toBe(13);
  });

  it('keeps partitions independent and knows nothing of unseen ones', () => {
    const t = createOffsetTracker();
    t.begin('r', 1, 5);
    t.begin('r', 2, 7);
    t.end('r', 2, 7);
    expect(t.committable('r', 1)).toBe(5);
    expect(t.committable('r', 2)).toBe(8);
    expect(t.committable('r', 3)).toBeNull();
    expect(t.pending()).toBe(1);
  });
});

describe('offset tracker hand-over (a partition moving to another member)', () => {
  it('tells the next owner which requests above the committed offset were answered, so only the others run again', () => {
    const old = createOffsetTracker();
    for (const o of [10, 11, 12, 13]) old.begin('r', 0, o);
    old.end('r', 0, 11);
    old.end('r', 0, 13);
    old.answered('r', 0, 14);
    expect(old.committable('r', 0)).toBe(10);
    const metadata = old.handOver('r', 0);

    const next = createOffsetTracker();
    next.inherit('r', 0, 10, metadata);
    expect([9, 10, 11, 12, 13, 14, 15].filter((o) => !next.seen('r', 0, o))).toEqual([10, 12, 15]);
    expect(next.committable('r', 0)).toBe(10);
    next.begin('r', 0, 10);
    next.end('r', 0, 10);
    expect(next.committable('r', 0)).toBe(12);
    next.begin('r', 0, 12);
    next.end('r', 0, 12);
    expect(next.committable('r', 0)).toBe(15);
  });

  it('inherits only the committed offset when there is no hand-over metadata', () => {
    const next = createOffsetTracker();
    next.inherit('r', 3, 7, null);
    expect(next.seen('r', 3, 6)).toBe(true);
    expect(next.seen('r', 3, 7)).toBe(false);
    expect(next.committable('r', 3)).toBe(7);
  });

  it('claims less when the answered requests do not fit the metadata: the rest runs again, none is skipped', () => {
    const old = createOffsetTracker();
    for (let o = 0; o < 3000; o++) old.begin('r', 0, o);
    for (let o = 1; o < 3000; o += 2) old.end('r', 0, o);
    const metadata = old.handOver('r', 0)!;
    expect(metadata.length).toBeLessThanOrEqual(MAX_METADATA_CHARS);
    const next = createOffsetTracker();
    next.inherit('r', 0, 0, metadata);
    for (let o = 0; o < 3000; o += 2) expect(next.seen('r', 0, o)).toBe(false);
    expect(next.seen('r', 0, 2999)).toBe(false);
    expect(next.seen('r', 0, 1)).toBe(true);
  });

  it('owes a request again when its result was not published after all', () => {
    const t = createOffsetTracker();
    t.begin('r', 0, 4);
    t.reopen('r', 0, 4);
    expect(t.seen('r', 0, 4)).toBe(false);
    expect(t.committable('r', 0)).toBe(4);
  });
});
