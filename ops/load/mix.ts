import { LANGUAGES } from '../../runtimes/languages';

/**
 * The workload mix: which languages and dependency sets simulated people
 * write in, as weights ("python=50,c++=20,python-3.11-sci=5"). A key is a
 * language (or alias) or a dependency-set name.
 */
export interface MixEntry { key: string; language: string; dependencySet?: string; weight: number }

export const DEFAULT_MIX = 'python=50,javascript=20,c++=10,typescript=5,c=5,go=4,python-3.11-sci=3,java=2,rust=1';
export const DEFAULT_PROTOCOLS = 'ws=100';

export class MixError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MixError';
  }
}

/** "a=1,b=2" → [["a",1],["b",2]]; weights must be non-negative numbers, at least one positive. */
export function parseWeights(spec: string, what = 'mix'): [string, number][] {
  const entries = spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((part): [string, number] => {
      const m = /^([^=\s]+)\s*=\s*([0-9]*\.?[0-9]+)$/.exec(part);
      if (!m) throw new MixError(`${what}: "${part}" is not NAME=WEIGHT`);
      return [m[1]!.toLowerCase(), Number(m[2])];
    });
  if (!entries.length) throw new MixError(`${what} is empty`);
  const seen = new Set<string>();
  for (const [k] of entries) {
    if (seen.has(k)) throw new MixError(`${what}: "${k}" is given twice`);
    seen.add(k);
  }
  if (!entries.some(([, w]) => w > 0)) throw new MixError(`${what}: at least one weight must be positive`);
  return entries;
}

export function resolveMixKey(key: string): { language: string; dependencySet?: string } {
  for (const l of LANGUAGES) {
    if (l.id === key || l.aliases.includes(key)) return { language: l.id };
    if (l.dependencySets.some((d) => d.name === key)) return { language: l.id, dependencySet: key };
  }
  const known = LANGUAGES.flatMap((l) => [l.id, ...l.dependencySets.map((d) => d.name)]);
  throw new MixError(`mix: "${key}" is neither a language nor a dependency set; known: ${known.join(', ')}`);
}

export function parseMix(spec: string): MixEntry[] {
  return parseWeights(spec, 'mix')
    .filter(([, w]) => w > 0)
    .map(([key, weight]) => ({ key, weight, ...resolveMixKey(key) }));
}

export type Protocol = 'ws' | 'rest' | 'piston';
export function parseProtocols(spec: string): { key: Protocol; weight: number }[] {
  return parseWeights(spec, 'protocols')
    .filter(([, w]) => w > 0)
    .map(([key, weight]) => {
      if (key !== 'ws' && key !== 'rest' && key !== 'piston') throw new MixError(`protocols: "${key}" is not ws, rest or piston`);
      return { key, weight };
    });
}

/** Weighted choice; rand() in [0, 1). */
export function pickWeighted<T extends { weight: number }>(items: readonly T[], rand: () => number): T {
  const total = items.reduce((a, i) => a + i.weight, 0);
  let x = rand() * total;
  for (const i of items) {
    x -= i.weight;
    if (x < 0) return i;
  }
  return items[items.length - 1]!;
}
