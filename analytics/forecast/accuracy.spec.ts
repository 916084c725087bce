import { accuracyByHorizon } from './accuracy';

describe('accuracyByHorizon', () => {
  it('computes MAPE and the under-forecast rate per horizon band from hand-made forecasts', () => {
    const actual = (m: number) => (m < 100 ? 100 : undefined);
    // Issued at 0: 90 for horizons 0-1 (10% under), 120 for 2-3 (20% over).
    const acc = accuracyByHorizon([{ start: 0, point: [90, 90, 120, 120] }, { start: 1, point: [100, 100, 100, 100] }], actual, [0, 2, 4]);
    expect(acc).toEqual([
      { fromMinutes: 0, toMinutes: 2, mape: expect.closeTo(0.05, 9), underRate: 0.5, samples: 4 },
      { fromMinutes: 2, toMinutes: 4, mape: expect.closeTo(0.1, 9), underRate: 0, samples: 4 },
    ]);
  });

  it('skips minutes without demand or without an observation', () => {
    const acc = accuracyByHorizon([{ start: 0, point: [5, 5] }], (m) => (m === 0 ? 0 : undefined), [0, 2]);
    expect(acc[0]!.samples).toBe(0);
    expect(Number.isNaN(acc[0]!.mape)).toBe(true);
  });
});
