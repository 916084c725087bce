import { demandOf } from './demand';

describe('demand behind a trace of counts', () => {
  it('keeps a linear ramp, lowers the counts’ noise and keeps a step a step', () => {
    const ramp = Float64Array.from({ length: 30 }, (_, i) => 100 + 10 * i);
    const d = demandOf(ramp, Float64Array.from(ramp, (x) => 10 * x));
    expect(Array.from(d.runs)).toEqual(Array.from(ramp));
    expect(d.cpuSeconds[10]! / d.runs[10]!).toBeCloseTo(10, 9);
    // Alternating ±20 around 400 (1 Poisson deviation): the centred mean of 9 minutes is within 20/9 of 400.
    const noisy = Float64Array.from({ length: 30 }, (_, i) => 400 + (i % 2 ? 20 : -20));
    expect(Math.abs(demandOf(noisy, noisy).runs[15]! - 400)).toBeLessThanOrEqual(20 / 9 + 1e-9);
    // A step of +60% (far beyond 4 deviations): no minute before it borrows from after it.
    const step = Float64Array.from({ length: 30 }, (_, i) => (i < 15 ? 1000 : 1600));
    const s = demandOf(step, step).runs;
    expect(s[14]).toBe(1000);
    expect(s[15]).toBe(1600);
  });
});
