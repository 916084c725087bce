/**
 * Latency statistics for the load generator and the benchmark suite:
 * nearest-rank percentiles over kept samples (a run produces a few thousand
 * samples at most, so keeping them all is cheap and exact).
 */
export interface Summary { n: number; min: number; p50: number; p95: number; p99: number; max: number; mean: number }

/** Nearest-rank percentile of an ascending array; p in [0, 1]. */
export function quantile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil(p * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function summarize(xs: readonly number[]): Summary {
  const s = [...xs].sort((a, b) => a - b);
  const sum = s.reduce((a, b) => a + b, 0);
  return { n: s.length, min: s[0] ?? NaN, p50: quantile(s, 0.5), p95: quantile(s, 0.95), p99: quantile(s, 0.99), max: s[s.length - 1] ?? NaN, mean: s.length ? sum / s.length : NaN };
}

/** Rounds to one decimal for tables (NaN stays NaN). */
export const r1 = (x: number) => Math.round(x * 10) / 10;

/** Counts per key, for status and error tallies. */
export class Counter {
  readonly counts = new Map<string, number>();
  add(key: string, n = 1): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + n);
  }
  get(key: string): number {
    return this.counts.get(key) ?? 0;
  }
  total(): number {
    let t = 0;
    for (const v of this.counts.values()) t += v;
    return t;
  }
  toJSON(): Record<string, number> {
    return Object.fromEntries([...this.counts].sort((a, b) => b[1] - a[1]));
  }
}

/** Events in a sliding window, for "runs/s right now" on the progress line. */
export class RateWindow {
  private stamps: number[] = [];
  constructor(private windowMs = 5000) {}
  mark(now: number, n = 1): void {
    for (let i = 0; i < n; i++) this.stamps.push(now);
  }
  perSecond(now: number): number {
    const from = now - this.windowMs;
    let i = 0;
    while (i < this.stamps.length && this.stamps[i]! < from) i++;
    if (i) this.stamps.splice(0, i);
    return this.stamps.length / (this.windowMs / 1000);
  }
}

/** Deterministic PRNG (mulberry32) so a seed reproduces a load run's programs and edits. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const randInt = (rand: () => number, lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
