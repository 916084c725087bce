import { queuedUpdates } from './queued-updates';

const q = (position: number, expectedStartMs = 10_000) => ({ runId: 'r', position, expectedStartMs, predictedMs: 20 });

describe('queued updates', () => {
  it('tells the first place at once and then at most one change per gap', () => {
    const tell = queuedUpdates(1000);
    expect(tell(q(9), 0)).toBe(true);
    expect(tell(q(8), 100)).toBe(false);
    expect(tell(q(7), 900)).toBe(false);
    expect(tell(q(6), 1000)).toBe(true);
    expect(tell(q(5), 1500)).toBe(false);
  });

  it('always tells place 1, so the count a client sees ends at 1', () => {
    const tell = queuedUpdates(1000);
    expect(tell(q(3), 0)).toBe(true);
    expect(tell(q(2), 50)).toBe(false);
    expect(tell(q(1), 80)).toBe(true);
    expect(tell(q(1, 10_400), 120)).toBe(false);
    expect(tell(q(1, 10_400), 1200)).toBe(true);
  });

  it('says nothing when neither the place nor the expected start moved, however long ago it spoke', () => {
    const tell = queuedUpdates(1000);
    expect(tell(q(4), 0)).toBe(true);
    expect(tell(q(4, 10_200), 5000)).toBe(false);
    expect(tell(q(4, 10_300), 5000)).toBe(true);
  });
});
