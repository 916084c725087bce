import fs from 'node:fs';
import path from 'node:path';
import type { Fix } from './edit-stream';

/**
 * The programs simulated people write: real source files under corpus/,
 * described by corpus/manifest.json (kind, expected status, stdin, the fix
 * a person makes after a few failed runs).
 */
export type ProgramKind = 'small' | 'large' | 'stdin' | 'cpu' | 'compile_error' | 'crash';

export interface Program {
  id: string;
  language: string;
  dependencySet?: string;
  kind: ProgramKind;
  expect: string;
  text: string;
  stdin?: string;
  weight: number;
  fix?: Fix;
}

interface Manifest {
  stdinTexts: Record<string, string>;
  programs: { file: string; language: string; dependencySet?: string; kind: ProgramKind; expect: string; stdin?: string; weight?: number; fix?: Fix }[];
}

export const CORPUS_DIR = path.join(__dirname, 'corpus');

export function loadCorpus(dir = CORPUS_DIR): Program[] {
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
  return manifest.programs.map((p) => {
    const text = fs.readFileSync(path.join(dir, p.file), 'utf8');
    if (p.stdin && !(p.stdin in manifest.stdinTexts)) throw new Error(`corpus: ${p.file} names unknown stdin text "${p.stdin}"`);
    if (p.fix && !text.includes(p.fix.find)) throw new Error(`corpus: the fix of ${p.file} does not find ${JSON.stringify(p.fix.find)}`);
    return {
      id: p.file.replace(/(\.[a-z]+)+$/, ''), language: p.language, dependencySet: p.dependencySet, kind: p.kind, expect: p.expect, text,
      stdin: p.stdin ? manifest.stdinTexts[p.stdin] : undefined, weight: p.weight ?? 1, fix: p.fix,
    };
  });
}

/** Programs a mix entry may draw from: its language, and its dependency set when one is named. */
export function programsFor(corpus: readonly Program[], language: string, dependencySet?: string): Program[] {
  return corpus.filter((p) => p.language === language && (dependencySet ? p.dependencySet === dependencySet : !p.dependencySet));
}
