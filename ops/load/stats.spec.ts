import { Counter, RateWindow, quantile, seededRandom, summarize } from './stats';

describe('stats', () => {
  it('takes nearest-rank percentiles', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(quantile(xs, 0.5)).toBe(50);
    expect(quantile(xs, 0.99)).toBe(99);
    expect(quantile(xs, 1)).toBe(100);
    expect(quantile(xs, 0)).toBe(1);
    expect(quantile([7], 0.99)).toBe(7);
    expect(quantile([], 0.5)).toBeNaN();
  });

  it('summarizes unsorted samples without changing them', () => {
    const xs = [5, 1, 4, 2, 3];
    expect(summarize(xs)).toEqual({ n: 5, min: 1, p50: 3, p95: 5, p99: 5, max: 5, mean: 3 });
    expect(xs).toEqual([5, 1, 4, 2, 3]);
  });

  it('counts per key, largest first', () => {
    const c = new Counter();
    c.add('ok', 3);
    c.add('compile_error');
    expect(c.total()).toBe(4);
    expect(Object.keys(c.toJSON())).toEqual(['ok', 'compile_error']);
  });

  it('reports a rate over a sliding window', () => {
    const w = new RateWindow(1000);
    w.mark(0, 5);
    w.mark(900, 5);
    expect(w.perSecond(950)).toBe(10);
    expect(w.perSecond(1500)).toBe(5);
  });

  it('repeats a random sequence for a seed', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    expect([a(), a(), a()]).toEqual([b(), b(), b()]);
  });
});
