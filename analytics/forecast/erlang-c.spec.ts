import { meanWait, serversFor, waitExceeds, waitQuantile } from './erlang-c';

describe('Erlang C', () => {
  it('matches the textbook case: 2 servers, a = 1 Erlang, P(wait) = 1/3', () => {
    // B(2,1) = 1/5; C = 2·0.2 / (2 − 1·0.8) = 1/3.
    const load = { arrivalsPerSecond: 1, serviceSeconds: 1 };
    expect(waitExceeds(2, load, 0)).toBeCloseTo(1 / 3, 12);
    // Mean wait C·S/(c − a) = 1/3 s; P(W > 1) = 1/3·e^−1.
    expect(meanWait(2, load)).toBeCloseTo(1 / 3, 12);
    expect(waitExceeds(2, load, 1)).toBeCloseTo(Math.exp(-1) / 3, 12);
    expect(waitQuantile(2, load, 0.9)).toBeCloseTo(Math.log((1 / 3) / 0.1), 12);
  });

  it('sizes the fewest servers that meet a p99 wait objective, for small and seed-scale loads', () => {
    const small = { arrivalsPerSecond: 1, serviceSeconds: 1 };
    const c = serversFor(small, 0, 0.99);
    expect(waitExceeds(c, small, 0)).toBeLessThanOrEqual(0.01);
    expect(waitExceeds(c - 1, small, 0)).toBeGreaterThan(0.01);
    // 2,220 runs/s of 10 s each: 22,200 Erlangs; square-root staffing puts the answer a few hundred above.
    const peak = { arrivalsPerSecond: 2220, serviceSeconds: 10 };
    const n = serversFor(peak, 1, 0.99);
    expect(n).toBeGreaterThan(22200);
    expect(n).toBeLessThan(22200 + 3 * Math.sqrt(22200));
    expect(waitQuantile(n, peak, 0.99)).toBeLessThanOrEqual(1);
    expect(waitQuantile(n - 1, peak, 0.99)).toBeGreaterThan(1);
    expect(serversFor({ arrivalsPerSecond: 0, serviceSeconds: 10 }, 1, 0.99)).toBe(0);
  });
});
