import { probabilityOfWait } from '../../../analytics/forecast/erlang-c';
import { chainRates, moments, normalCdf, poissonCdf, poissonCells, rebin, advance, type ChainDist } from './chain';

/** M/M/c's stationary distribution on states 0 … n − 1: a^k/k! up to c, then geometric at a/c. */
function erlangStationary(c: number, a: number, n: number): Float64Array {
  const p = new Float64Array(n);
  p[0] = 1;
  for (let k = 1; k < n; k++) p[k] = (p[k - 1]! * a) / Math.min(k, c);
  const s = p.reduce((x, y) => x + y, 0);
  return p.map((x) => x / s);
}

const sum = (p: Float64Array) => p.reduce((x, y) => x + y, 0);

describe('birth–death chain of the runs in the system', () => {
  it("settles on Erlang C's stationary distribution under a steady load", () => {
    // 6 Erlangs on 10 slots (λ = 0.6/s, S = 10 s), from an empty system, 20 minutes.
    const band = { lo: 0, g: 1, cells: 80 };
    let p = poissonCells(0, 0, 1, 80).p;
    const rates = chainRates(band, 0.6, 10, 10);
    for (let m = 0; m < 20; m++) p = advance(p, rates, 60).end;
    const want = erlangStationary(10, 6, 80);
    for (let n = 0; n < 40; n++) expect(p[n]!).toBeCloseTo(want[n]!, 6);
    const d: ChainDist = { lo: 0, g: 1, p };
    expect(moments(d, 10).pAtLeast).toBeCloseTo(probabilityOfWait(10, 6), 6);
  });

  it('keeps its mass: every step sums to 1 and no state goes negative, on states and on lumped cells', () => {
    for (const g of [1, 7]) {
      const band = { lo: 0, g, cells: 120 };
      // A lopsided start: all mass in two far-apart cells, a load above the slots.
      const p0 = new Float64Array(120);
      (p0[3] = 0.25), (p0[90] = 0.75);
      let p: Float64Array = p0;
      for (let k = 0; k < 4; k++) {
        const r = advance(p, chainRates(band, 25, 10, 200), 15);
        for (const q of [r.end, r.average]) {
          expect(Math.abs(sum(q) - 1)).toBeLessThan(1e-12);
          expect(Math.min(...q)).toBeGreaterThanOrEqual(0);
        }
        p = r.end;
      }
    }
  });

  it('an empty system with no arrivals stays empty', () => {
    const band = { lo: 0, g: 1, cells: 20 };
    const p = advance(poissonCells(0, 0, 1, 20).p, chainRates(band, 0, 10, 5), 60).end;
    expect(p[0]).toBe(1);
    expect(sum(p)).toBe(1);
  });

  it('lumped into cells of g states it keeps the mean, the spread and the share at or above the slots', () => {
    // 1,900 Erlangs on 2,000 slots, steady: the exact chain against cells of 8 states (Scharfetter–Gummel rates).
    const run = (g: number, lo: number, cells: number) => {
      let p = poissonCells(1900, lo, g, cells).p;
      const rates = chainRates({ lo, g, cells }, 190, 10, 2000);
      for (let m = 0; m < 10; m++) p = advance(p, rates, 60).end;
      return moments({ lo, g, p }, 2000);
    };
    const exact = run(1, 1500, 1000);
    const lumped = run(8, 1504, 125); // 1504 ≡ 2000 (mod 8): cells aligned on c
    expect(lumped.mean / exact.mean).toBeCloseTo(1, 3);
    expect(Math.sqrt(lumped.variance / exact.variance)).toBeCloseTo(1, 1);
    expect(lumped.pAtLeast / exact.pAtLeast).toBeGreaterThan(0.9);
    expect(lumped.pAtLeast / exact.pAtLeast).toBeLessThan(1.1);
  });

  it('moves mass between bands and cell sizes without losing it', () => {
    const d = poissonCells(50, 0, 1, 200);
    const coarse = rebin(d, 20, 5, 12);
    expect(sum(coarse.p)).toBeCloseTo(1, 12);
    expect(moments(coarse, 1000).mean).toBeCloseTo(moments(d, 1000).mean, 0);
    const back = rebin(coarse, 0, 1, 200);
    expect(sum(back.p)).toBeCloseTo(1, 12);
  });

  it('normal CDF to 7 digits, tails included', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.959963985)).toBeCloseTo(0.975, 7);
    expect(normalCdf(-5) / 2.866515719e-7).toBeCloseTo(1, 5);
  });

  it('Poisson CDF: exact on small means, normal with corrections on large ones', () => {
    // P(Poisson(3) ≤ 2) = e^-3 (1 + 3 + 4.5)
    expect(poissonCdf(3)(2)).toBeCloseTo(Math.exp(-3) * 8.5, 12);
    expect(poissonCdf(3)(-1)).toBe(0);
    expect(poissonCdf(0)(0)).toBe(1);
    // Large mean: against the exact sum in logs (Λ = 900, r = 950).
    let logp = -900;
    let acc = Math.exp(logp);
    for (let k = 1; k <= 950; k++) (logp += Math.log(900 / k)), (acc += Math.exp(logp));
    expect(poissonCdf(900)(950)).toBeCloseTo(acc, 3);
  });
});
