import { createRoutingTable, parseWeights } from './partitioner';

describe('dependency-set routing', () => {
  const table = createRoutingTable(24, { 'python-3.11-std': 6, 'cpp-gcc12-std': 3, 'rust-std': 1, default: 2 });

  it('gives every partition to exactly one range when there are fewer sets than partitions', () => {
    const covered = table.ranges.flatMap((r) => Array.from({ length: r.size }, (_, i) => r.start + i));
    expect(covered.sort((a, b) => a - b)).toEqual(Array.from({ length: 24 }, (_, i) => i));
  });

  it('sizes ranges by weight, hot sets wider than cold ones', () => {
    expect(table.rangeOf('python-3.11-std').size).toBeGreaterThan(table.rangeOf('cpp-gcc12-std').size);
    expect(table.rangeOf('cpp-gcc12-std').size).toBeGreaterThan(table.rangeOf('rust-std').size);
    expect(table.rangeOf('rust-std').size).toBeGreaterThanOrEqual(1);
  });

  it('keeps a session on one partition inside its set range, spreading sessions over the range', () => {
    const r = table.rangeOf('python-3.11-std');
    const seen = new Set<number>();
    for (let i = 0; i < 500; i++) {
      const p = table.partitionOf('python-3.11-std', `s-${i}`);
      expect(p).toBeGreaterThanOrEqual(r.start);
      expect(p).toBeLessThan(r.start + r.size);
      expect(table.partitionOf('python-3.11-std', `s-${i}`)).toBe(p);
      seen.add(p);
    }
    expect(seen.size).toBe(r.size);
  });

  it('sends unknown sets to the default range', () => {
    expect(table.rangeOf('cobol-85')).toBe(table.rangeOf('default'));
  });

  it('wraps ranges when there are more sets than partitions', () => {
    const small = createRoutingTable(2, { a: 1, b: 1, c: 1, d: 1 });
    for (const r of small.ranges) expect(r.start + r.size).toBeLessThanOrEqual(2 + r.start);
    expect(small.partitionOf('c', 'x')).toBeLessThan(2);
  });

  it('parses weights and rejects malformed entries', () => {
    expect(parseWeights('python-3.11-std=5, cpp-gcc12-std=2')).toEqual({ 'python-3.11-std': 5, 'cpp-gcc12-std': 2 });
    expect(() => parseWeights('python=hot')).toThrow(/set=weight/);
    expect(() => parseWeights('python=0')).toThrow(/positive/);
  });
});
