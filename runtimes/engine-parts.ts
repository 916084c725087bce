import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { paths } from '../topics/ground/paths';
import { silentLogger, type Logger } from '../topics/ground/logger';
import { createCgroupFactory } from './cgroup';
import { CompileCache } from './compile-cache';
import { LIMITS } from './limits';
import { PchStore } from './pch';
import { WarmPools } from './pools';
import { Sandbox, SANDBOX_UID, type Dispatched, type DispatchOptions, type SandboxDeps, type SandboxPlan } from './sandbox';
import { nativeP1 } from './native-p1';
import { seccompFilter } from './seccomp';
import { Spawner, type NativeMounts } from './spawner/client';
import { Zygotes, type ZygoteStats } from './zygotes';
import { CompilerServers, type CompilerServerStats } from './compiler-server';
import type { DependencySet, LanguageDef, Toolchain } from './languages';
import type { ResolvedSpec } from './validate';

/**
 * The engine's collaborators, each a process or a kernel interface: the
 * engine (engine.ts) takes them as an argument, so its own logic (plan
 * choice, fallbacks, the compile cache, stage order, statuses, cleanup) is
 * driven with fakes in engine.spec.ts; createEngineParts builds the real ones.
 */

/** A sandbox the engine dispatches one stage into (sandbox.ts Sandbox). */
export interface StageSandbox {
  dispatch(o: DispatchOptions): Dispatched;
  /** A forked run whose namespaces could not be built (the program never started): why. */
  readonly setupFailure: string | null;
}

export interface EngineParts {
  /** Hardware classes this machine can serve (detectHardwareClasses). */
  machineClasses: string[];
  /** The spawner helper process (spawner/client.ts). */
  spawner: { readonly ready: Promise<void>; close(): Promise<void> };
  /** The cgroup manager (cgroup.ts); each sandbox takes its cgroup from it. */
  cgroups: { close(): void };
  /** A fresh one-shot sandbox for a plan. */
  oneShot(plan: SandboxPlan): StageSandbox;
  /** One-shot warm pools (pools.ts). */
  pools: {
    take(key: string, plan: () => SandboxPlan): { sandbox: StageSandbox; hit: boolean };
    warm(key: string, plan: () => SandboxPlan): Promise<void>;
    /** Keeps `size` warm sandboxes for key from now on (the fleet's warm-pool sizes). */
    setSize(key: string, plan: () => SandboxPlan, size: number): void;
    stats(): Record<string, { size: number; hits: number; misses: number; target?: number }>;
    close(): Promise<void>;
  };
  /** Forking runtimes (zygotes.ts): take() answers null when none is ready. */
  zygotes: {
    take(key: string, plan: () => SandboxPlan, runPlan: SandboxPlan, mounts?: NativeMounts): StageSandbox | null;
    disable(key: string, why: string): void;
    warm(key: string, plan: () => SandboxPlan): Promise<void>;
    stats(): Record<string, ZygoteStats>;
    close(): Promise<void>;
  };
  /** The content-addressed compile cache (compile-cache.ts); lookup and insert pin until release. */
  cache: {
    lookup(key: string): string | null;
    insert(key: string, outDir: string): string;
    release(key: string): void;
    stats(): { entries: number; bytes: number; hits: number; misses: number };
  };
  /** Precompiled headers (pch.ts). */
  pch: {
    lookup(compiler: string, compilerId: string, flags: string[]): string | null;
    build(compiler: string, compilerId: string, flags: string[]): Promise<boolean>;
  };
  /** Warm compilers (compiler-server.ts): take() answers null when none can take this compile now. */
  compilers: {
    take(r: ResolvedSpec, outDir: string): StageSandbox | null;
    warm(lang: LanguageDef, set: DependencySet, toolchain: Toolchain): Promise<void>;
    stats(): Record<string, CompilerServerStats>;
    close(): Promise<void>;
  };
  /** Compile output directories under the spawner's tmp view, writable by the sandbox user. */
  outDirs: { create(): string; remove(dir: string): void };
}

/** Which hardware classes this machine can really serve. */
export function detectHardwareClasses(): string[] {
  const found: string[] = [];
  if (process.arch === 'x64') found.push('x86_64');
  if (fs.existsSync('/usr/bin/qemu-aarch64') && fs.existsSync('/usr/bin/aarch64-linux-gnu-g++-12')) found.push('arm64');
  return found;
}

function rustSysroot(): string | null {
  for (const rustc of ['/root/.cargo/bin/rustc', 'rustc']) {
    try {
      return execFileSync(rustc, ['--print', 'sysroot'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      /* try the next */
    }
  }
  return null;
}

export interface EnginePartsOptions {
  cacheDir?: string;
  poolSize: number;
  cacheMaxBytes: number;
  cgroupParent: string;
  cpuCores: number;
  /** Children kept forked ahead per forking runtime and stage plan (zygotes.ts; default 2). */
  forkAhead?: number;
  logger?: Logger;
}

/** The real collaborators: a spawner with the machine's views, cgroups, pools, forking runtimes, caches. */
export function createEngineParts(o: EnginePartsOptions): EngineParts {
  const log = o.logger ?? silentLogger;
  const cacheDir = path.resolve(o.cacheDir ?? paths().cache);
  const machineDepsets = path.join(paths().cache, 'depsets');
  const depsetsDir = fs.existsSync(path.join(cacheDir, 'depsets')) ? path.join(cacheDir, 'depsets') : machineDepsets;
  const tmpDir = path.join(cacheDir, 'tmp');
  for (const d of [cacheDir, tmpDir]) fs.mkdirSync(d, { recursive: true, mode: 0o755 });
  fs.chmodSync(tmpDir, 0o755);

  const views: Record<string, string> = { cache: cacheDir, depsets: fs.existsSync(depsetsDir) ? depsetsDir : tmpDir, tmp: tmpDir };
  const sysroot = rustSysroot();
  if (sysroot) views.rust = sysroot;
  try {
    views.typescript = path.dirname(require.resolve('typescript/package.json'));
  } catch {
    log.warn({}, 'typescript package not found; TypeScript runs will fail');
  }
  const spawner = new Spawner(views, ['tmp']);
  const cgroups = createCgroupFactory(o.cgroupParent);
  const deps: SandboxDeps = { spawner, cgroups, maxOutput: LIMITS.maximums.run.outputBytes + 1, seccomp: seccompFilter(cacheDir), p1: nativeP1(cacheDir) };
  return {
    machineClasses: detectHardwareClasses(),
    spawner,
    cgroups,
    oneShot: (plan) => new Sandbox(deps, plan),
    pools: new WarmPools(deps, o.poolSize, (e) => log.error({ err: e }, 'warm pool refill failed')),
    zygotes: new Zygotes(deps, (e) => log.warn({ err: String(e) }, 'forking runtime'), o.forkAhead),
    cache: new CompileCache(path.join(cacheDir, 'artifacts'), o.cacheMaxBytes),
    compilers: new CompilerServers({ spawner, cgroups, seccomp: deps.seccomp, compileDefaults: LIMITS.defaults.compile, cpuCores: o.cpuCores }, (e) => log.warn({ err: String(e) }, 'compiler server')),
    pch: new PchStore(path.join(cacheDir, 'pch'), (e) => log.warn({ err: String(e) }, 'precompiled header build failed')),
    outDirs: {
      create() {
        const dir = fs.mkdtempSync(path.join(tmpDir, 'out-'));
        fs.chownSync(dir, SANDBOX_UID, SANDBOX_UID);
        return dir;
      },
      remove: (dir) => fs.rmSync(dir, { recursive: true, force: true }),
    },
  };
}
