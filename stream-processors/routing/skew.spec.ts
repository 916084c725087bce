import { createRoutingTable } from './partitioner';
import { bar, skewReport } from './skew';

describe('skew report', () => {
  it('sums records per dependency-set range and finds the hottest partition', () => {
    const weights = { a: 3, b: 1, default: 0.0001 };
    const table = createRoutingTable(4, weights);
    const counts = [10, 20, 30, 40];
    const { rows, total, maxOverMean } = skewReport(table, weights, counts);
    expect(total).toBe(100);
    expect(rows.reduce((s, r) => s + r.records, 0)).toBe(100);
    const a = rows.find((r) => r.set === 'a')!;
    expect(a.maxPartition).toBe(Math.max(...a.partitions.split('-').map(Number).map((p) => counts[p]!)));
    expect(maxOverMean).toBeCloseTo(40 / 25);
  });

  it('draws proportional bars', () => {
    expect(bar(0.5, 10)).toBe('█████·····');
    expect(bar(2, 4)).toBe('████');
  });
});
