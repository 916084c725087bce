import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/**
 * The floor plan as data, and the check that the code's imports keep it
 * (docs/architecture.md explains the order). A unit is a top-level folder,
 * except topics/ground, the ground floor beneath everything. A unit may import
 * its own files and units on lower floors, never a unit on its own floor
 * (peers share a module beneath them instead) or above it. test/ stands
 * outside the floors: it may import anything and nothing may import it.
 */
export const FLOORS: readonly (readonly string[])[] = [
  ['topics/ground'],
  ['topics'],
  ['stream-processors', 'runtimes'],
  ['analytics'],
  ['consumers', 'producers'],
  ['ops'],
];

/**
 * Modules that are peers inside a folder: they share modules beneath them and
 * never import each other (the gateway's adapters translate one protocol each).
 */
export const PEER_MODULES: readonly (readonly string[])[] = [
  ['producers/gateway/editor-socket', 'producers/gateway/rest-api', 'producers/gateway/piston-api', 'producers/gateway/links-api'],
];

const GROUND = 'topics/ground';
const SOURCE = /\.(ts|cts|mts|js|cjs|mjs)$/;

export interface Violation {
  /** Importing file and imported module, relative to the root, with '/' separators. */
  from: string;
  to: string;
  reason: string;
}

/** Which unit a root-relative path belongs to, or null outside the floors (test/, docs/, …). */
export function unitOf(rel: string): string | null {
  if (rel === GROUND || rel.startsWith(`${GROUND}/`)) return GROUND;
  const top = rel.split('/')[0]!;
  return FLOORS.some((f) => f.includes(top)) ? top : null;
}

const floorOf = (unit: string) => FLOORS.findIndex((f) => f.includes(unit));

/** Every module a source text names: static and type imports, re-exports, import() and require(). */
export function importsOf(source: string): string[] {
  return ts.preProcessFile(source, true, true).importedFiles.map((f) => f.fileName);
}

/** Whether `from` may import `to`; the reason it may not, otherwise. */
export function ruleFor(fromUnit: string | null, toUnit: string | null, toRel: string): string | null {
  if (fromUnit === null) return null;
  if (toRel === 'test' || toRel.startsWith('test/')) return 'nothing on a floor imports test/';
  if (toUnit === null || toUnit === fromUnit) return null;
  if (toUnit === 'ops') return 'only ops/ imports ops/ (put what others need on the ground floor, topics/ground/)';
  const a = floorOf(fromUnit);
  const b = floorOf(toUnit);
  if (b === a) return `${fromUnit}/ and ${toUnit}/ are peers on one floor and do not import each other (share a module beneath them)`;
  if (b > a) return `${fromUnit}/ is below ${toUnit}/ and does not import it (imports run ${FLOORS.map((f) => f.join(' | ')).join(' → ')})`;
  return null;
}

export function sourcesUnder(dir: string, out: string[] = []): string[] {
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) sourcesUnder(p, out);
    else if (SOURCE.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Every import under `root`'s floor folders that breaks the floor plan. */
export function checkFloors(root: string): Violation[] {
  const tops = [...new Set(FLOORS.flat().map((u) => u.split('/')[0]!))];
  const violations: Violation[] = [];
  for (const file of tops.flatMap((t) => sourcesUnder(path.join(root, t)))) {
    const from = path.relative(root, file).split(path.sep).join('/');
    for (const spec of importsOf(fs.readFileSync(file, 'utf8'))) {
      if (!spec.startsWith('.')) continue;
      const to = path.relative(root, path.resolve(path.dirname(file), spec)).split(path.sep).join('/');
      const peers = PEER_MODULES.find((g) => g.includes(from.replace(SOURCE, '')) && g.includes(to));
      const reason = peers && to !== from.replace(SOURCE, '') ? `${from} and ${to} are peers (adapters) and do not import each other (share a module beneath them)` : ruleFor(unitOf(from), unitOf(to), to);
      if (reason) violations.push({ from, to, reason });
    }
  }
  return violations;
}
