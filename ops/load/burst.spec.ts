import { burstPlan, floodPlan, jainIndex, maxMinShares, overlap } from './burst';

describe('burst and flood scenarios', () => {
  it('plans waves of people pressing Run together, the same order for every policy', () => {
    const p = burstPlan({ waves: 2, everyMs: 8000, hellos: 3, longs: [1000, 2000] });
    expect(p).toHaveLength(10);
    expect(p.filter((r) => r.atMs >= 8000)).toHaveLength(5);
    expect(p.filter((r) => r.kind === 'long').map((r) => r.nominalMs).sort()).toEqual([1000, 1000, 2000, 2000]);
    expect(burstPlan({ waves: 2, everyMs: 8000, hellos: 3, longs: [1000, 2000] })).toEqual(p);
  });

  it('lets one client of a flood send ten times the runs of the others', () => {
    const p = floodPlan({ clients: 5, factor: 10, everyMs: 1000, durationMs: 3000, program: { name: 'x', code: '', nominalMs: 100 } });
    const by = (c: string) => p.filter((r) => r.client === c).length;
    expect(by('flooder')).toBe(30);
    expect(by('client-1')).toBe(3);
  });

  it('computes max-min fair shares and Jain\'s index over them', () => {
    expect(maxMinShares([0.25, 0.25, 0.25, 0.25, 2.5], 2)).toEqual([0.25, 0.25, 0.25, 0.25, 1]);
    expect(maxMinShares([3, 3], 2)).toEqual([1, 1]);
    expect(jainIndex([1, 1, 1])).toBeCloseTo(1);
    expect(jainIndex([1, 0, 0, 0])).toBeCloseTo(0.25);
    expect(overlap(0, 10, 5, 20)).toBe(5);
    expect(overlap(0, 10, 10, 20)).toBe(0);
  });
});
