import { PEAK_CENTER, PEAK_WIDTH, activeFraction, dayShape, offPeakLevel } from './curve';

const integrate = (f: (x: number) => number, a: number, b: number, n = 20000) => {
  let s = 0;
  const h = (b - a) / n;
  for (let i = 0; i < n; i++) s += f(a + (i + 0.5) * h) * h;
  return s;
};

describe('daily curve', () => {
  it('puts 80% of the day\'s user-time inside the 20% peak window', () => {
    const lo = PEAK_CENTER - PEAK_WIDTH / 2;
    const share = integrate((x) => dayShape(x), lo, lo + PEAK_WIDTH) / integrate((x) => dayShape(x), 0, 1);
    expect(share).toBeCloseTo(0.8, 3);
  });

  it('peaks at all users and stays at a quiet off-peak level at night', () => {
    expect(dayShape(PEAK_CENTER)).toBeCloseTo(1, 6);
    expect(dayShape(0.1)).toBeCloseTo(offPeakLevel(), 6);
    expect(offPeakLevel()).toBeGreaterThan(0.03);
    expect(offPeakLevel()).toBeLessThan(0.1);
    for (let x = 0; x < 1; x += 0.01) {
      expect(dayShape(x)).toBeGreaterThanOrEqual(offPeakLevel() - 1e-9);
      expect(dayShape(x)).toBeLessThanOrEqual(1 + 1e-9);
    }
  });

  it('rises and falls smoothly (no jump bigger than 5% of peak per 0.1% of the day)', () => {
    for (let x = 0; x < 1; x += 0.001) expect(Math.abs(dayShape(x + 0.001) - dayShape(x))).toBeLessThan(0.05);
  });

  it('ramps a flat curve linearly, then holds, and ends at the duration', () => {
    expect(activeFraction('flat', 0, 120, 10)).toBeCloseTo(0.1);
    expect(activeFraction('flat', 4, 120, 10)).toBeCloseTo(0.5);
    expect(activeFraction('flat', 60, 120, 10)).toBe(1);
    expect(activeFraction('flat', 5, 120, 0)).toBe(1);
    expect(activeFraction('flat', 120, 120, 10)).toBe(0);
    expect(activeFraction('day', 120 * PEAK_CENTER, 120, 10)).toBeCloseTo(1);
  });
});
