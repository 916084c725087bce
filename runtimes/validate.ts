import { defaultDependencySet, findLanguage, flagAllowed, hardwareClassesOf, versionsOf, type DependencySet, type LanguageDef, type Toolchain } from './languages';
import { resolveLimits } from './limits';
import { KNOWN_HARDWARE_CLASSES, RuntimeError, type EngineLimits, type RunSpec, type SourceFile, type StageLimits } from './types';

/** A RunSpec checked against the language table and the limits: what the engine executes. */
export interface ResolvedSpec {
  runId: string;
  lang: LanguageDef;
  depSet: DependencySet;
  hardwareClass: string;
  toolchain: Toolchain;
  files: SourceFile[];
  /** The entry point: the first file. */
  main: string;
  flags: string[];
  args: string[];
  stdin: string;
  limits: { compile: StageLimits; run: StageLimits };
}

export const FILE_RULES = { maxFiles: 32, maxFileBytes: 1024 * 1024, maxTotalBytes: 4 * 1024 * 1024, maxArgs: 64, maxArgBytes: 4096, maxStdinBytes: 16 * 1024 * 1024 };
const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_.+-]{0,99}$/;

export function validateFileName(name: string): string | null {
  const parts = name.split('/');
  if (parts.length > 4) return `"${name}" is nested more than 4 directories deep`;
  for (const p of parts) {
    if (p === '..' || p === '.' || !SEGMENT.test(p)) return `"${name}" is not a plain relative file name (letters, digits, _ . + - and at most 4 "/"-separated parts)`;
  }
  return null;
}

function checkFiles(lang: LanguageDef, files: unknown): SourceFile[] {
  if (!Array.isArray(files) || files.length === 0) throw new RuntimeError('invalid_files', 'A run needs at least one source file.');
  if (files.length > FILE_RULES.maxFiles) throw new RuntimeError('invalid_files', `A run may have at most ${FILE_RULES.maxFiles} files, got ${files.length}.`);
  const seen = new Set<string>();
  let total = 0;
  return files.map((f: unknown, i: number) => {
    const file = f as Partial<SourceFile> | null;
    if (!file || typeof file.content !== 'string') throw new RuntimeError('invalid_files', `File ${i + 1} has no text content.`);
    const name = file.name === undefined || file.name === '' ? (i === 0 ? lang.mainFile : `file${i}${lang.extensions[0]}`) : file.name;
    if (typeof name !== 'string') throw new RuntimeError('invalid_files', `File ${i + 1} has a name that is not a string.`);
    const problem = validateFileName(name);
    if (problem) throw new RuntimeError('invalid_files', `File name ${problem}.`);
    if (seen.has(name)) throw new RuntimeError('invalid_files', `File name "${name}" appears twice.`);
    seen.add(name);
    const bytes = Buffer.byteLength(file.content);
    if (bytes > FILE_RULES.maxFileBytes) throw new RuntimeError('invalid_files', `File "${name}" is ${bytes} bytes; the maximum is ${FILE_RULES.maxFileBytes}.`);
    total += bytes;
    if (total > FILE_RULES.maxTotalBytes) throw new RuntimeError('invalid_files', `The files total more than ${FILE_RULES.maxTotalBytes} bytes.`);
    return { name, content: file.content };
  });
}

export function resolveSpec(spec: RunSpec, enabledClasses: string[], limitTable?: EngineLimits): ResolvedSpec {
  if (!spec || typeof spec !== 'object') throw new RuntimeError('invalid_spec', 'A run spec must be an object.');
  if (typeof spec.runId !== 'string' || !/^[A-Za-z0-9_.:-]{1,128}$/.test(spec.runId))
    throw new RuntimeError('invalid_spec', 'runId must be 1-128 characters of letters, digits, _ . : -.');
  if (typeof spec.language !== 'string' || !findLanguage(spec.language)) throw new RuntimeError('unknown_language', `Unknown language "${String(spec.language)}".`);
  // Without a version, the dependency set names the toolchain when one version has it (javascript-node22-std).
  const lang = spec.version === undefined && spec.dependencySet !== undefined
    ? (versionsOf(spec.language).find((l) => l.dependencySets.some((d) => d.name === spec.dependencySet)) ?? findLanguage(spec.language))
    : findLanguage(spec.language, spec.version);
  if (!lang)
    throw new RuntimeError('unknown_version', `${spec.language} ${spec.version} is not installed; the available versions are ${versionsOf(spec.language).map((l) => l.version).join(', ')}.`);
  const depSet = spec.dependencySet === undefined ? defaultDependencySet(lang) : lang.dependencySets.find((d) => d.name === spec.dependencySet);
  if (!depSet)
    throw new RuntimeError('unknown_dependency_set', `${lang.id} has no dependency set "${spec.dependencySet}"; available: ${lang.dependencySets.map((d) => d.name).join(', ')}.`);
  const hw = spec.hardwareClass;
  if (typeof hw !== 'string' || !(KNOWN_HARDWARE_CLASSES as readonly string[]).includes(hw))
    throw new RuntimeError('hardware_class_unavailable', `Unknown hardware class "${String(hw)}"; known classes are ${KNOWN_HARDWARE_CLASSES.join(', ')}.`);
  if (!enabledClasses.includes(hw)) throw new RuntimeError('hardware_class_unavailable', `This executor has no "${hw}" hardware; it serves ${enabledClasses.join(', ')}.`);
  if (!hardwareClassesOf(lang, depSet).includes(hw))
    throw new RuntimeError('hardware_class_unavailable', `${lang.id} with ${depSet.name} cannot run on "${hw}"; it runs on ${hardwareClassesOf(lang, depSet).join(', ')}.`);
  const files = checkFiles(lang, spec.files);
  const flags = spec.compilerFlags ?? [];
  if (!Array.isArray(flags)) throw new RuntimeError('flag_not_allowed', 'compilerFlags must be a list of strings.');
  for (const f of flags) {
    if (typeof f !== 'string' || !flagAllowed(lang, f))
      throw new RuntimeError('flag_not_allowed', `The ${lang.id} compiler flag ${JSON.stringify(f)} is not allowed.`);
  }
  const args = spec.args ?? [];
  if (!Array.isArray(args) || args.length > FILE_RULES.maxArgs || args.some((a) => typeof a !== 'string' || a.length > FILE_RULES.maxArgBytes || a.includes('\0')))
    throw new RuntimeError('invalid_spec', `args must be at most ${FILE_RULES.maxArgs} strings of at most ${FILE_RULES.maxArgBytes} characters without NUL.`);
  const stdin = spec.stdin ?? '';
  if (typeof stdin !== 'string' || stdin.length > FILE_RULES.maxStdinBytes) throw new RuntimeError('invalid_spec', 'stdin must be a string of at most 16 MiB.');
  return {
    runId: spec.runId,
    lang,
    depSet,
    hardwareClass: hw,
    toolchain: lang.toolchains[hw]!,
    files,
    main: files[0]!.name,
    flags: mergeFlags(lang.defaultFlags, flags),
    args,
    stdin,
    limits: { compile: resolveLimits('compile', spec.limits?.compile, limitTable), run: resolveLimits('run', spec.limits?.run, limitTable) },
  };
}

/** User flags win over defaults of the same family (-O*, -std=*, opt-level). */
export function mergeFlags(defaults: string[], user: string[]): string[] {
  const family = (f: string) => (/^-O/.test(f) ? '-O' : /^-std=/.test(f) ? '-std' : /^-Copt-level=/.test(f) ? 'opt' : f);
  const userFamilies = new Set(user.map(family));
  return [...defaults.filter((d) => !userFamilies.has(family(d))), ...user];
}
