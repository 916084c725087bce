/**
 * The burst scenario of the load generator: people press Run at the same
 * moment, a mix of hello worlds and multi-second programs, wave after wave,
 * enough to keep the cores saturated for most of each wave; and the flood
 * scenario, where one client sends ten times the runs of the others. Pure:
 * plans (who sends what when) and the measures of a finished run
 * (slowdown, Jain's fairness index, throughput); ops/bench/scheduling.ts
 * sends them through a gateway.
 */
export interface PlannedRun { atMs: number; client: string; program: string; nominalMs: number; kind: 'short' | 'long' }
export interface Program { name: string; code: string; nominalMs: number }

/** A Python program that holds its core for `ms` of wall time (busy, so it also burns that CPU). */
export const busy = (ms: number): Program => ({
  name: `busy-${ms}`, nominalMs: ms,
  code: `import time\nt = time.time()\nwhile time.time() - t < ${ms / 1000}:\n    pass\nprint("done ${ms}")\n`,
});

/**
 * A Python program that holds its slot for `ms` of wall time while sleeping. The slot is
 * what the scheduler hands out; on a shared 2-core machine two busy slots would starve the
 * broker, gateway and executor the benchmark measures through.
 */
export const holds = (ms: number): Program => ({
  name: `holds-${ms}`, nominalMs: ms,
  code: `import time\ntime.sleep(${ms / 1000})\nprint("done ${ms}")\n`,
});
export const HELLO: Program = { name: 'hello', code: 'print("hello, world")\n', nominalMs: 20 };

/** A seeded shuffle, so FIFO and the scheduler get the very same order. */
function shuffle<T>(xs: T[], seed: number): T[] {
  const a = [...xs];
  let s = seed >>> 0 || 1;
  for (let i = a.length - 1; i > 0; i--) {
    s = (s * 1664525 + 1013904223) >>> 0;
    const j = s % (i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

export function burstPlan(o: { waves: number; everyMs: number; hellos: number; longs: number[]; spreadMs?: number; seed?: number; program?: (ms: number) => Program }): PlannedRun[] {
  const out: PlannedRun[] = [];
  const spread = o.spreadMs ?? 200;
  for (let w = 0; w < o.waves; w++) {
    const wave = [
      ...Array.from({ length: o.hellos }, () => ({ program: HELLO.name, nominalMs: HELLO.nominalMs, kind: 'short' as const })),
      ...o.longs.map((ms) => ({ program: (o.program ?? busy)(ms).name, nominalMs: ms, kind: 'long' as const })),
    ];
    shuffle(wave, (o.seed ?? 7) + w).forEach((r, i, all) => out.push({ ...r, atMs: w * o.everyMs + Math.round((i / all.length) * spread), client: `burst-${w}-${i}` }));
  }
  return out;
}

/** `clients` clients each sending one run of `program` every `everyMs`; the first sends `factor` times as many. */
export function floodPlan(o: { clients: number; factor: number; everyMs: number; durationMs: number; program: Program }): PlannedRun[] {
  const out: PlannedRun[] = [];
  for (let c = 0; c < o.clients; c++) {
    const per = c === 0 ? o.factor : 1;
    for (let t = 0; t < o.durationMs; t += o.everyMs) {
      for (let k = 0; k < per; k++) {
        out.push({ atMs: t + Math.round(((c + k / per) / o.clients) * o.everyMs), client: c === 0 ? 'flooder' : `client-${c}`, program: o.program.name, nominalMs: o.program.nominalMs, kind: 'long' });
      }
    }
  }
  return out.sort((a, b) => a.atMs - b.atMs);
}

/** Jain's fairness index of allocations normalised by each one's fair share: 1 = everyone got their share. */
export function jainIndex(x: number[]): number {
  const s = x.reduce((a, b) => a + b, 0);
  const s2 = x.reduce((a, b) => a + b * b, 0);
  return x.length && s2 ? (s * s) / (x.length * s2) : NaN;
}

/** Max-min fair shares of `capacity` among demands (water-filling): nobody gets more than it asks. */
export function maxMinShares(demands: number[], capacity: number): number[] {
  const share = demands.map(() => 0);
  let left = capacity;
  let open = demands.map((_, i) => i);
  while (open.length && left > 1e-9) {
    const each = left / open.length;
    const satisfied = open.filter((i) => demands[i]! - share[i]! <= each);
    if (!satisfied.length) {
      for (const i of open) share[i]! += each;
      break;
    }
    for (const i of satisfied) {
      left -= demands[i]! - share[i]!;
      share[i] = demands[i]!;
    }
    open = open.filter((i) => !satisfied.includes(i));
  }
  return share;
}

/** Slot time of [start, end) that falls inside [from, to). */
export const overlap = (start: number, end: number, from: number, to: number) => Math.max(0, Math.min(end, to) - Math.max(start, from));
