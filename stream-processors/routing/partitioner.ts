import { createHash } from 'node:crypto';

/**
 * Dependency-set routing: every dependency set owns a contiguous range of
 * partitions sized by its weight, and a session is hashed inside its set's
 * range. Executors that own a range therefore see few sets and keep their
 * runtimes warm; hot sets get wider ranges. Sets without a weight share the
 * range of the "default" entry.
 */
export interface PartitionRange { set: string; start: number; size: number }

export interface RoutingTable {
  partitions: number;
  ranges: PartitionRange[];
  rangeOf(dependencySet: string): PartitionRange;
  partitionOf(dependencySet: string, sessionId: string): number;
}

export const DEFAULT_WEIGHTS: Record<string, number> = {
  'python-3.11-std': 5,
  'python-3.11-sci': 2,
  'cpp-gcc12-std': 4,
  'cpp-gcc12-fmt': 1,
  'c-gcc12-std': 2,
  'javascript-node20-std': 3,
  'typescript-node20-std': 1,
  'go-std': 1,
  'rust-std': 1,
  'java-17-std': 2,
  default: 2,
};

/** Parses "set=weight,set=weight" (the ROUTING_WEIGHTS variable). */
export function parseWeights(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([A-Za-z0-9._-]+)=(\d+(?:\.\d+)?)$/.exec(part);
    if (!m || Number(m[2]) <= 0) throw new Error(`"${part}" is not set=weight with a positive weight`);
    out[m[1]!] = Number(m[2]);
  }
  return out;
}

function hash32(text: string): number {
  return createHash('sha1').update(text).digest().readUInt32BE(0);
}

export function createRoutingTable(partitions: number, weights: Record<string, number> = DEFAULT_WEIGHTS): RoutingTable {
  const entries = Object.entries({ default: 1, ...weights }).sort(([a], [b]) => a.localeCompare(b));
  const total = entries.reduce((s, [, w]) => s + w, 0);
  // Largest-remainder apportionment with at least one partition per set; when
  // there are more sets than partitions, ranges wrap and share partitions.
  const exact = entries.map(([set, w]) => ({ set, share: (w / total) * partitions }));
  const sizes = exact.map((e) => Math.max(1, Math.floor(e.share)));
  let spare = partitions - sizes.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => ({ i, rem: e.share - Math.floor(e.share) })).sort((a, b) => b.rem - a.rem);
  for (let k = 0; spare > 0; k = (k + 1) % order.length, spare--) sizes[order[k]!.i]! += 1;
  let start = 0;
  const ranges = exact.map((e, i) => {
    const r = { set: e.set, start: start % partitions, size: Math.min(sizes[i]!, partitions) };
    start += sizes[i]!;
    return r;
  });
  const bySet = new Map(ranges.map((r) => [r.set, r]));
  const rangeOf = (set: string) => bySet.get(set) ?? bySet.get('default')!;
  return {
    partitions,
    ranges,
    rangeOf,
    partitionOf(set, sessionId) {
      const r = rangeOf(set);
      return (r.start + (hash32(sessionId) % r.size)) % partitions;
    },
  };
}
