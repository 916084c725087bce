import { createOffsetTracker } from './offset-tracker';

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
