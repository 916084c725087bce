import { createOpenCounter } from './client-limits';

describe('createOpenCounter', () => {
  it('admits up to the limit per key, and again after a release', () => {
    const c = createOpenCounter(2);
    expect([c.acquire('a'), c.acquire('a'), c.acquire('a'), c.acquire('b')]).toEqual([true, true, false, true]);
    c.release('a');
    expect(c.acquire('a')).toBe(true);
    expect(c.count('a')).toBe(2);
  });

  it('never limits with 0 and forgets keys that hold nothing', () => {
    const c = createOpenCounter(0);
    for (let i = 0; i < 1000; i++) expect(c.acquire('k')).toBe(true);
    for (let i = 0; i < 1001; i++) c.release('k');
    expect(c.count('k')).toBe(0);
  });
});
