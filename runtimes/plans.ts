import fs from 'node:fs';
import path from 'node:path';
import type { PoolKind } from './languages';
import type { SandboxPlan } from './sandbox';
import type { ResolvedSpec } from './validate';
import type { StageLimits } from './types';

/**
 * Turns a resolved run into sandbox plans: which binds, files, environment
 * and argv each stage gets. Sources of binds are paths as the spawner sees
 * them: system directories, or views under /run/conveyor.
 */
export const VIEW = {
  cache: '/run/conveyor/cache',
  depsets: '/run/conveyor/depsets',
  tmp: '/run/conveyor/tmp',
  rust: '/run/conveyor/rust',
  typescript: '/run/conveyor/typescript',
};

export const BASE_ENV = { PATH: '/usr/bin:/bin', HOME: '/work', LANG: 'C.UTF-8', TMPDIR: '/tmp' };
const BOOT_DIR = path.join(__dirname, 'bootstrap');
const boot = {
  compileServer: fs.readFileSync(path.join(__dirname, 'compiler-server', 'CompileServer.java')),
  python: fs.readFileSync(path.join(BOOT_DIR, 'python_boot.py')),
  pythonZygote: fs.readFileSync(path.join(BOOT_DIR, 'python_zygote.py')),
  node: fs.readFileSync(path.join(BOOT_DIR, 'node_boot.js')),
};

function langBinds(spec: Pick<ResolvedSpec, 'lang' | 'depSet'>): [string, string, 'ro'][] {
  const binds: [string, string, 'ro'][] = (spec.lang.binds ?? []).filter(([src]) => src.startsWith('@') || fs.existsSync(src)).map(([src, dest]) => [src === '@rust' ? VIEW.rust : src, dest, 'ro']);
  if (spec.depSet.depsDir) binds.push([`${VIEW.depsets}/${spec.depSet.depsDir}`, '/deps', 'ro']);
  return binds;
}

export const workBytes = (l: StageLimits, extra = 0) => Math.max(8 * 1024 * 1024, Math.min(l.fileBytes * 2, 512 * 1024 * 1024)) + extra;
const rlimits = (l: StageLimits) => ({ fsize: l.fileBytes, nofile: l.openFiles });

export interface PoolPlanInput {
  kind: PoolKind;
  depsDir?: string;
  preload?: string[];
  env?: Record<string, string>;
  /** The interpreter's path in the sandbox, when not the system's (node). */
  interpreter?: string;
  limits: StageLimits;
  cpuCores: number;
}

/** A warm interpreter: spawned before any run, waiting on stdin for a code header. */
export function poolPlan(p: PoolPlanInput): SandboxPlan {
  const binds: [string, string, 'ro'][] = [];
  let argv: string[];
  const env: Record<string, string> = { ...BASE_ENV, ...(p.env ?? {}) };
  const files = [];
  if (p.kind === 'python') {
    files.push({ dest: '/boot/boot.py', content: boot.python });
    if (p.depsDir) {
      binds.push([`${VIEW.depsets}/${p.depsDir}`, '/deps', 'ro']);
      argv = ['/deps/venv/bin/python3', '-I', '/boot/boot.py'];
    } else argv = ['/usr/bin/python3', '-I', '/boot/boot.py'];
    if (p.preload?.length) env.CONVEYOR_PRELOAD = p.preload.join(',');
  } else {
    files.push({ dest: '/boot/boot.js', content: boot.node });
    if (p.kind === 'typescript') {
      binds.push([VIEW.typescript, '/deps/typescript', 'ro']);
      env.CONVEYOR_TS = '/deps/typescript';
    }
    // A second Node toolchain lives in its dependency set's directory (/deps/bin/node).
    if (p.depsDir) binds.push([`${VIEW.depsets}/${p.depsDir}`, '/deps', 'ro']);
    argv = [p.interpreter ?? '/usr/bin/node', '/boot/boot.js'];
  }
  return {
    binds,
    files,
    env,
    argv,
    workBytes: workBytes(p.limits),
    rlimits: rlimits(p.limits),
    cpuCores: p.cpuCores,
    idleLimits: { memoryBytes: Math.max(p.limits.memoryBytes, 512 * 1024 * 1024), pids: p.limits.pids },
    announcesReady: true,
  };
}

/** What can run as a forking runtime (runtimes/zygotes.ts): Python, and compiled programs (native). Node cannot fork safely. */
export const FORKABLE_KINDS: readonly string[] = ['python', 'native', 'compile'];

/**
 * A forking runtime: the pool sandbox of that kind, running the zygote instead
 * of the bootstrap (which it runs in each forked child). Never sees a program.
 */
export function zygotePlan(p: PoolPlanInput): SandboxPlan {
  if (!FORKABLE_KINDS.includes(p.kind)) throw new Error(`no forking runtime for ${p.kind}`);
  const plan = poolPlan(p);
  const interpreter = plan.argv[0]!;
  return {
    ...plan,
    files: [...plan.files, { dest: '/boot/zygote.py', content: boot.pythonZygote }],
    env: { ...plan.env, CONVEYOR_ZYGOTE_FD: '@SOCK@' },
    argv: [interpreter, '-I', '/boot/zygote.py'],
    // Children count here until the spawner moves them into their run's cgroup, and a Python run's pid 1
    // (p1.c, trusted: it runs no code of the run) for its whole life: one per run in flight or forked ahead.
    idleLimits: { memoryBytes: plan.idleLimits.memoryBytes, pids: 4096 },
    socket: true,
  };
}

/**
 * The native loader of a compiled language: a bare Python (no site, no
 * preloads) in the language's view plus every compile-cache artifact under
 * /artifacts, compile output directories under /outs and precompiled headers
 * under /pchs. Each forked child mounts only its own at /prog, /out, /pch and
 * hides the rest (python_zygote.py). Its resource limits are the compile
 * defaults, which hold the run defaults; a child lowers them to its stage's.
 */
export function nativeZygotePlan(spec: ResolvedSpec, compileDefaults: StageLimits, cpuCores: number): SandboxPlan {
  return {
    binds: [...langBinds(spec), [`${VIEW.cache}/artifacts`, '/artifacts', 'ro'], [VIEW.tmp, '/outs', 'rw'], [`${VIEW.cache}/pch`, '/pchs', 'ro']],
    dirs: ['/prog', '/out', '/pch'],
    files: [
      { dest: '/boot/boot.py', content: boot.python },
      { dest: '/boot/zygote.py', content: boot.pythonZygote },
      // One loader serves every hardware class of its language: each toolchain's support file.
      ...Object.values(spec.lang.toolchains).flatMap((t) => (t.support ? [{ dest: t.support.dest, content: Buffer.from(t.support.content) }] : [])),
    ],
    env: { ...BASE_ENV, CONVEYOR_ZYGOTE_FD: '@SOCK@' },
    argv: ['/usr/bin/python3', '-I', '-S', '/boot/zygote.py'],
    workBytes: workBytes(compileDefaults),
    rlimits: rlimits(compileDefaults),
    cpuCores,
    idleLimits: { memoryBytes: 256 * 1024 * 1024, pids: 256 },
    announcesReady: true,
    socket: true,
  };
}

/** Memory and pids a compiler server's sandbox holds (its JVM); a compile whose limits are lower is not sent to it. */
export const COMPILER_SERVER_FOOTPRINT = { memoryBytes: 768 * 1024 * 1024, pids: 48 };

/**
 * A warm Java compiler (compiler-server/CompileServer.java, run by Java's source
 * launcher) in the language's view: no output directory, no artifacts, no
 * writable bind; sources arrive and class files leave over its stdin/stdout.
 */
export function compilerServerPlan(spec: Pick<ResolvedSpec, 'lang' | 'depSet' | 'toolchain'>, compileDefaults: StageLimits, cpuCores: number): SandboxPlan {
  if (spec.lang.id !== 'java') throw new Error(`no compiler server for ${spec.lang.id}`);
  const java = spec.toolchain.run[0]!;
  return {
    binds: langBinds(spec),
    files: [{ dest: '/boot/CompileServer.java', content: boot.compileServer }],
    env: { ...BASE_ENV },
    argv: [java, '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-XX:-UsePerfData', '-Xshare:auto', '-Xmx320m', '-Xss4m', '/boot/CompileServer.java'],
    workBytes: workBytes(compileDefaults),
    rlimits: rlimits(compileDefaults),
    cpuCores,
    idleLimits: COMPILER_SERVER_FOOTPRINT,
  };
}

/** What the native loader reads from stdin before the program's own stdin: the stage's files, argv, environment, limits. */
export function nativeHeader(plan: SandboxPlan): Buffer {
  // The toolchain's support file is the loader's own (nativeZygotePlan), not the stage's.
  const files = plan.files.filter((f) => f.dest.startsWith('/work/')).map((f) => ({ name: f.dest.replace(/^\/work\//, ''), content: f.content.toString('utf8') }));
  const body = Buffer.from(JSON.stringify({ files, argv: plan.argv, env: plan.env, rlimits: plan.rlimits }));
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

/** The header a warm interpreter reads from stdin before the program's own stdin. */
export function codeHeader(spec: ResolvedSpec): Buffer {
  const body = Buffer.from(JSON.stringify({ files: spec.files, main: spec.main, args: spec.args }));
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

function fill(template: string[], values: Record<string, string[]>): string[] {
  return template.flatMap((t) => (t in values ? values[t]! : [t.replace(/\{(\w+)\}/g, (m, k: string) => values[`{${k}}`]?.[0] ?? m)]));
}

const SOURCE_EXT: Record<string, RegExp> = { c: /\.c$/, 'c++': /\.(cpp|cc|cxx|c\+\+)$/, java: /\.java$/, go: /\.go$/ };

export function compilePlan(spec: ResolvedSpec, outView: string, pchView: string | null, cpuCores: number): SandboxPlan {
  const l = spec.limits.compile;
  const binds: [string, string, 'ro' | 'rw'][] = [...langBinds(spec), [outView, '/out', 'rw']];
  if (pchView) binds.push([pchView, '/pch', 'ro']);
  const ext = SOURCE_EXT[spec.lang.id];
  const sources = ext ? spec.files.filter((f) => ext.test(f.name)).map((f) => f.name) : [spec.main];
  const argv = fill(spec.toolchain.compile!, {
    '{flags}': spec.flags,
    '{pch}': pchView ? ['-I', '/pch'] : [],
    '{sources}': sources.length ? sources : [spec.main],
    '{linkFlags}': spec.depSet.linkFlags ?? [],
    '{out}': ['/out'],
    '{main}': [spec.main],
  });
  const files = spec.files.map((f) => ({ dest: `/work/${f.name}`, content: Buffer.from(f.content) }));
  if (spec.toolchain.support) files.push({ dest: spec.toolchain.support.dest, content: Buffer.from(spec.toolchain.support.content) });
  return {
    binds,
    files,
    env: { ...BASE_ENV, ...(spec.lang.env ?? {}) },
    argv,
    workBytes: workBytes(l),
    rlimits: rlimits(l),
    cpuCores,
    idleLimits: { memoryBytes: l.memoryBytes, pids: l.pids },
  };
}

export function runPlan(spec: ResolvedSpec, artifactView: string, cpuCores: number): SandboxPlan {
  const l = spec.limits.run;
  const argv = fill(spec.toolchain.run, {
    '{prog}': ['/prog'],
    '{args}': spec.args,
    '{mainClass}': [path.basename(spec.main).replace(/\.java$/, '')],
  });
  return {
    binds: [...langBinds(spec), [artifactView, '/prog', 'ro']],
    files: spec.files.filter((f) => !SOURCE_EXT[spec.lang.id]?.test(f.name)).map((f) => ({ dest: `/work/${f.name}`, content: Buffer.from(f.content) })),
    env: { ...BASE_ENV, ...(spec.lang.env ?? {}) },
    argv,
    workBytes: workBytes(l),
    rlimits: { ...rlimits(l) },
    cpuCores,
    idleLimits: { memoryBytes: l.memoryBytes, pids: l.pids },
  };
}
