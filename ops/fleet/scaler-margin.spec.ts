import { forecastMargin } from './scaler-margin';

describe('forecastMargin', () => {
  it('bounds how far demand came in above the forecast, robust to a short surprise', () => {
    // Errors spread evenly over ±2%: median 0, MAD 1% → 0 + 2.33·1.4826·0.01 ≈ 0.0345.
    const steady = Array.from({ length: 101 }, (_, i) => ({ forecast: 100, actual: 100 * (1 + 0.04 * (i / 100 - 0.5)) }));
    expect(forecastMargin(steady)).toBeCloseTo(2.33 * 1.4826 * 0.01, 3);
    // Five minutes at +60% (a spike the reactive floor answers) barely move it.
    const spiked = steady.map((p, i) => (i < 5 ? { ...p, actual: 160 } : p));
    expect(forecastMargin(spiked)).toBeLessThan(0.04);
    // A forecast that keeps coming in 10% low is sized up by at least that.
    expect(forecastMargin(steady.map((p) => ({ ...p, actual: p.actual * 1.1 })))).toBeGreaterThan(0.1);
    expect(forecastMargin([])).toBe(0);
  });
});
