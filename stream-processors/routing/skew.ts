import type { RoutingTable } from './partitioner';

export interface SkewRow { set: string; partitions: string; weight: number; records: number; share: number; perPartition: number; maxPartition: number }

/**
 * How load spreads over the routing table: records per dependency-set range
 * (from per-partition record counts), the share of the total, and how even
 * each range is inside (max partition vs. the range's mean).
 */
export function skewReport(table: RoutingTable, weights: Record<string, number>, perPartition: number[]): { rows: SkewRow[]; total: number; maxOverMean: number } {
  const total = perPartition.reduce((a, b) => a + b, 0);
  const rows = table.ranges.map((r) => {
    const parts = Array.from({ length: r.size }, (_, i) => (r.start + i) % table.partitions);
    const counts = parts.map((p) => perPartition[p] ?? 0);
    const records = counts.reduce((a, b) => a + b, 0);
    return {
      set: r.set,
      partitions: r.size === 1 ? `${r.start}` : `${r.start}-${r.start + r.size - 1}`,
      weight: weights[r.set] ?? 1,
      records,
      share: total ? records / total : 0,
      perPartition: records / r.size,
      maxPartition: Math.max(...counts),
    };
  });
  const mean = total / table.partitions;
  return { rows, total, maxOverMean: mean ? Math.max(...perPartition) / mean : 0 };
}

export function bar(fraction: number, width = 30): string {
  const n = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return '█'.repeat(n) + '·'.repeat(width - n);
}
