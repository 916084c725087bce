import os from 'node:os';
import path from 'node:path';
import { cacheKey } from './compile-cache';
import { readRuntimesConfig } from './config';
import { createEngineParts, type EngineParts } from './engine-parts';
import { findLanguage, LANGUAGES, runtimeInfos, versionsOf, type DependencySet, type LanguageDef } from './languages';
import { LIMITS } from './limits';
import { codeHeader, compilePlan, FORKABLE_KINDS, nativeHeader, nativeZygotePlan, poolPlan, runPlan, VIEW, zygotePlan } from './plans';
import { type Dispatched, type SandboxPlan } from './sandbox';
import { type NativeMounts } from './spawner/client';
import {
  RuntimeError,
  type EngineOptions,
  type ExecuteOptions,
  type RunHandle,
  type RunResult,
  type RunSpec,
  type RuntimeEngine,
  type RuntimeInfo,
  type StageResult,
  type StartOptions,
} from './types';
import { resolveSpec, type ResolvedSpec } from './validate';
import { silentLogger } from '../topics/ground/logger';

export { detectHardwareClasses } from './engine-parts';

/** Exit code of bootstrap/node_boot.js when TypeScript does not parse. */
const TS_COMPILE_ERROR_EXIT = 97;

/** Per-run control shared between the handle and the life cycle. */
interface Control {
  cancelled: boolean;
  current: Dispatched | null;
  pendingStdin: string[];
  stdinEnded: boolean;
  interactive: boolean;
  /** Signals given before the current stage started: delivered when it does. */
  pendingSignals: number[];
  onStage: StartOptions['onStage'];
}

/** The number of a signal name such as SIGINT; RuntimeError for anything else. */
export function signalNumber(name: string): number {
  const n = (os.constants.signals as Record<string, number | undefined>)[name];
  if (!/^SIG[A-Z0-9]+$/.test(name) || n === undefined) throw new RuntimeError('invalid_signal', `"${name}" is not a signal name (e.g. SIGINT, SIGTERM, SIGUSR1).`);
  return n;
}

/**
 * The engine with its collaborators (engine-parts.ts): `parts` handed in (a
 * spec's fakes), or the real ones built by createEngineParts from the options
 * and CONVEYOR_RUNTIMES_* settings (cacheDir and poolSize only shape those).
 */
export function createRuntimeEngine(opts: EngineOptions = {}, parts?: EngineParts): RuntimeEngine {
  const config = readRuntimesConfig();
  const log = opts.logger ?? silentLogger;
  const cpuCores = config.CONVEYOR_RUNTIMES_CPU_CORES;
  const { machineClasses, spawner, cgroups, oneShot, pools, zygotes, cache, pch, compilers, outDirs } =
    parts ??
    createEngineParts({
      cacheDir: opts.cacheDir,
      poolSize: opts.poolSize ?? config.CONVEYOR_RUNTIMES_POOL_SIZE,
      cacheMaxBytes: config.CONVEYOR_RUNTIMES_CACHE_MAX_BYTES,
      cgroupParent: config.CONVEYOR_RUNTIMES_CGROUP_PARENT,
      cpuCores,
      forkAhead: config.CONVEYOR_RUNTIMES_FORK_AHEAD,
      logger: log,
    });
  const requested = opts.hardwareClasses ?? config.CONVEYOR_RUNTIMES_HARDWARE_CLASSES;
  const enabledClasses = requested.filter((c) => machineClasses.includes(c));
  const served = new Set(opts.compilerServers ?? config.CONVEYOR_RUNTIMES_COMPILER_SERVERS);
  const forking = new Set((opts.fork ?? config.CONVEYOR_RUNTIMES_FORK).filter((k) => (FORKABLE_KINDS as readonly string[]).includes(k)));
  const active = new Map<Control, Promise<RunResult>>();
  let closed = false;

  const poolKey = (lang: LanguageDef, set: DependencySet) => `${lang.pool}:${set.name}`;
  const poolPlanFor = (lang: LanguageDef, set: DependencySet, limits = LIMITS.defaults.run) => () =>
    poolPlan({ kind: lang.pool!, depsDir: set.depsDir, preload: set.preload, env: lang.env, interpreter: lang.pool === 'node' ? lang.toolchains.x86_64?.run[0] : undefined, limits, cpuCores });
  const zygotePlanFor = (lang: LanguageDef, set: DependencySet) => () =>
    zygotePlan({ kind: lang.pool!, depsDir: set.depsDir, preload: set.preload, env: lang.env, limits: LIMITS.defaults.run, cpuCores });
  const forks = (lang: LanguageDef) => !!lang.pool && forking.has(lang.pool);
  // A forked child is charged only for what it copies of its runtime: it waits under the run limits it
  // will most often get, so its dispatch rewrites nothing (a pool sandbox's 512 MiB floor was two memory
  // limits written at the fork and two back at dispatch, per run).
  const forkPlanFor = (lang: LanguageDef, set: DependencySet): SandboxPlan => {
    const d = LIMITS.defaults.run;
    return { ...poolPlanFor(lang, set)(), idleLimits: { memoryBytes: d.memoryBytes, pids: d.pids } };
  };

  function base(r: ResolvedSpec): RunResult {
    return { runId: r.runId, status: 'ok', language: r.lang.id, version: r.lang.version, dependencySet: r.depSet.name, hardwareClass: r.hardwareClass, cacheHit: false, pooled: false };
  }

  function attach(ctl: Control, d: Dispatched): void {
    ctl.current = d;
    for (const s of ctl.pendingStdin.splice(0)) d.write(s);
    if (ctl.interactive && ctl.stdinEnded) d.end();
    if (ctl.cancelled) d.kill('cancelled');
    for (const sig of ctl.pendingSignals.splice(0)) d.signal(sig);
  }

  /** A stage begins: its listener hears it before the sandbox can produce output. */
  function stageStarts(ctl: Control, stage: 'compile' | 'run'): void {
    try {
      ctl.onStage?.(stage);
    } catch (e) {
      log.warn({ err: String(e), stage }, 'stage listener failed');
    }
  }

  async function interpreted(r: ResolvedSpec, ctl: Control, onChunk: StartOptions['onChunk'], mayFork = true): Promise<RunResult> {
    const d = LIMITS.defaults.run;
    const poolable = r.limits.run.fileBytes === d.fileBytes && r.limits.run.openFiles === d.openFiles;
    // A forked child of the warm runtime when it is ready; otherwise a one-shot pool sandbox.
    const forked = mayFork && poolable && forks(r.lang) ? zygotes.take(poolKey(r.lang, r.depSet), zygotePlanFor(r.lang, r.depSet), forkPlanFor(r.lang, r.depSet)) : null;
    const { sandbox, hit } = forked
      ? { sandbox: forked, hit: true }
      : poolable
        ? pools.take(poolKey(r.lang, r.depSet), poolPlanFor(r.lang, r.depSet))
        : { sandbox: oneShot(poolPlanFor(r.lang, r.depSet, r.limits.run)()), hit: false };
    const input = Buffer.concat([codeHeader(r), Buffer.from(r.stdin)]);
    stageStarts(ctl, 'run');
    const dispatched = sandbox.dispatch({ stage: 'run', limits: r.limits.run, input, closeStdin: !ctl.interactive, onChunk, seq: { n: 0 } });
    attach(ctl, dispatched);
    const run = await dispatched.result;
    if (forked?.setupFailure) {
      // The program never started: stop forking for this runtime and run it the one-shot way.
      zygotes.disable(poolKey(r.lang, r.depSet), forked.setupFailure);
      // Never forked again for this run, whatever the forking runtimes do with the disable: one retry, no loop.
      return interpreted(r, ctl, onChunk, false);
    }
    // The warm TypeScript runtime transpiles in the sandbox; a refusal there is a compile error.
    if (r.lang.pool === 'typescript' && run.exitCode === TS_COMPILE_ERROR_EXIT && /error TS\d+/.test(run.stderr)) {
      const compile = { ...run, status: 'compile_error' as const };
      return { ...base(r), status: 'compile_error', message: 'Compilation failed.', compile, pooled: hit };
    }
    return { ...base(r), status: run.status, run, pooled: hit };
  }

  async function compiled(r: ResolvedSpec, ctl: Control, onChunk: StartOptions['onChunk']): Promise<RunResult> {
    const seq = { n: 0 };
    const key = cacheKey({ language: r.lang.id, version: r.lang.version, toolchain: r.toolchain.id, dependencySet: r.depSet.name, hardwareClass: r.hardwareClass, flags: r.flags, files: r.files });
    let artifact = cache.lookup(key);
    const cacheHit = artifact !== null;
    let compile: StageResult | undefined;
    if (!artifact) {
      const outDir = outDirs.create();
      try {
        const pchName = r.toolchain.pchCompiler ? pch.lookup(r.toolchain.pchCompiler, r.toolchain.id, r.flags) : null;
        const plan = compilePlan(r, `${VIEW.tmp}/${path.basename(outDir)}`, pchName ? `${VIEW.cache}/pch/${pchName}` : null, cpuCores);
        stageStarts(ctl, 'compile');
        compile = (await serverStage(r, ctl, onChunk, seq, outDir)) ?? (await nativeStage(r, ctl, onChunk, seq, 'compile', plan, { out: path.basename(outDir), ...(pchName ? { pch: pchName } : {}) }));
        if (compile.status === 'runtime_error') compile.status = 'compile_error';
        if (compile.status !== 'ok') {
          const message = compile.status === 'compile_error' ? 'Compilation failed.' : `Compilation stopped: ${compile.status.replace('_', ' ')}.`;
          return { ...base(r), status: compile.status, message, compile };
        }
        if (ctl.cancelled) return { ...base(r), status: 'cancelled', compile };
        artifact = cache.insert(key, outDir);
      } finally {
        outDirs.remove(outDir);
      }
    }
    try {
      stageStarts(ctl, 'run');
      const run = await runStage(r, ctl, onChunk, seq, key);
      return { ...base(r), status: run.status, compile, run, cacheHit };
    } finally {
      cache.release(key);
    }
  }

  /** The compile stage on a warm compiler server, or null when none takes it (or it died under it): then in a sandbox. */
  async function serverStage(r: ResolvedSpec, ctl: Control, onChunk: StartOptions['onChunk'], seq: { n: number }, outDir: string): Promise<StageResult | null> {
    const server = served.has(r.lang.id) ? compilers.take(r, outDir) : null;
    if (!server) return null;
    const dispatched = server.dispatch({ stage: 'compile', limits: r.limits.compile, input: Buffer.alloc(0), closeStdin: true, onChunk, seq });
    attach(ctl, dispatched);
    const result = await dispatched.result;
    return server.setupFailure ? null : result;
  }

  /** The run stage of a compiled program. */
  function runStage(r: ResolvedSpec, ctl: Control, onChunk: StartOptions['onChunk'], seq: { n: number }, key: string): Promise<StageResult> {
    return nativeStage(r, ctl, onChunk, seq, 'run', runPlan(r, `${VIEW.cache}/artifacts/${key}`, cpuCores), { prog: key });
  }

  /**
   * A stage of a compiled language: forked by the language's native loader
   * when it can be (its directories mounted by name), else a fresh sandbox.
   */
  async function nativeStage(r: ResolvedSpec, ctl: Control, onChunk: StartOptions['onChunk'], seq: { n: number }, stage: 'compile' | 'run', plan: SandboxPlan, mounts: NativeMounts, mayFork = true): Promise<StageResult> {
    const limits = r.limits[stage];
    const top = LIMITS.defaults.compile;
    const nativeKey = `native:${r.lang.id}:${r.depSet.name}`;
    const forkable = forking.has(stage === 'run' ? 'native' : 'compile') && limits.fileBytes <= top.fileBytes && limits.openFiles <= top.openFiles;
    const forked = forkable && mayFork ? zygotes.take(nativeKey, () => nativeZygotePlan(r, top, cpuCores), plan, mounts) : null;
    const input = stage === 'run' ? Buffer.from(r.stdin) : Buffer.alloc(0);
    const dispatched = (forked ?? oneShot(plan)).dispatch({
      stage,
      limits,
      input: forked ? Buffer.concat([nativeHeader(plan), input]) : input,
      closeStdin: stage === 'compile' || !ctl.interactive,
      onChunk,
      seq,
    });
    attach(ctl, dispatched);
    const result = await dispatched.result;
    if (forked?.setupFailure) {
      zygotes.disable(nativeKey, forked.setupFailure);
      return nativeStage(r, ctl, onChunk, seq, stage, plan, mounts, false);
    }
    return result;
  }

  async function lifecycle(r: ResolvedSpec, ctl: Control, onChunk: StartOptions['onChunk']): Promise<RunResult> {
    try {
      await spawner.ready;
      if (ctl.cancelled) return { ...base(r), status: 'cancelled' };
      return r.lang.pool ? await interpreted(r, ctl, onChunk) : await compiled(r, ctl, onChunk);
    } catch (e) {
      log.error({ err: String(e), runId: r.runId }, 'run failed inside the engine');
      return { ...base(r), status: 'internal_error', message: `The engine failed to run this program: ${(e as Error).message}` };
    }
  }

  const engine: RuntimeEngine = {
    start(spec: RunSpec, o: StartOptions = {}): RunHandle {
      if (closed) throw new RuntimeError('engine_closed', 'The runtime engine is closed.');
      const r = resolveSpec(spec, enabledClasses, LIMITS);
      const ctl: Control = { cancelled: false, current: null, pendingStdin: [], stdinEnded: false, interactive: !!o.interactiveStdin, pendingSignals: [], onStage: o.onStage };
      const result = lifecycle(r, ctl, o.onChunk).finally(() => active.delete(ctl));
      active.set(ctl, result);
      return {
        result,
        write(s) {
          if (!ctl.interactive || ctl.stdinEnded) return;
          if (ctl.current) ctl.current.write(s);
          else ctl.pendingStdin.push(s);
        },
        endStdin() {
          if (!ctl.interactive || ctl.stdinEnded) return;
          ctl.stdinEnded = true;
          ctl.current?.end();
        },
        cancel() {
          ctl.cancelled = true;
          ctl.current?.kill('cancelled');
        },
        signal(name) {
          const sig = signalNumber(name);
          if (ctl.current) ctl.current.signal(sig);
          else ctl.pendingSignals.push(sig);
        },
      };
    },

    async execute(spec: RunSpec, o: ExecuteOptions = {}): Promise<RunResult> {
      const handle = engine.start(spec, { onChunk: o.onChunk });
      if (o.signal) {
        if (o.signal.aborted) handle.cancel();
        else o.signal.addEventListener('abort', () => handle.cancel(), { once: true });
      }
      return handle.result;
    },

    runtimes(): RuntimeInfo[] {
      return runtimeInfos(enabledClasses);
    },

    limits: () => structuredClone(LIMITS),

    stats: () => {
      // A forked run is a warm hit of its pool key, as a one-shot pool sandbox is.
      const p = pools.stats();
      const f = zygotes.stats();
      for (const [k, z] of Object.entries(f)) {
        const e = (p[k] ??= { size: 0, hits: 0, misses: 0 });
        e.hits += z.forks;
        if (z.ready) e.size += 1;
      }
      return { pools: p, forking: f, cache: cache.stats(), compilers: compilers.stats() };
    },

    async warm(languages?: string[]): Promise<void> {
      await spawner.ready;
      // By default the table's first version of each language; a second version's pool fills on its first run.
      const langs = languages ? languages.map((n) => findLanguage(n) ?? raise(n)) : LANGUAGES.filter((l) => (l.pool || l.toolchains.x86_64?.pchCompiler) && versionsOf(l.id)[0] === l);
      const jobs: Promise<unknown>[] = [];
      for (const l of langs) {
        if (l.pool)
          for (const set of l.dependencySets) jobs.push(forks(l) ? zygotes.warm(poolKey(l, set), zygotePlanFor(l, set)) : pools.warm(poolKey(l, set), poolPlanFor(l, set)));
        for (const [hw, tc] of Object.entries(l.toolchains)) {
          if (tc.pchCompiler && enabledClasses.includes(hw)) jobs.push(pch.build(tc.pchCompiler, tc.id, [...l.defaultFlags]));
          // A compiler server (a JVM, seconds of CPU) starts only when asked by name or on its language's first compile.
          if (languages && served.has(l.id) && enabledClasses.includes(hw)) for (const set of l.dependencySets) jobs.push(compilers.warm(l, set, tc));
        }
      }
      await Promise.all(jobs);
    },

    setPoolSizes(sizes) {
      const applied: Record<string, number> = {};
      const ignored: string[] = [];
      for (const [name, size] of Object.entries(sizes)) {
        const langs = LANGUAGES.filter((l) => l.pool && l.dependencySets.some((d) => d.name === name));
        if (closed || !langs.length || !Number.isFinite(size) || size < 0) {
          ignored.push(name);
          continue;
        }
        for (const l of langs) {
          const set = l.dependencySets.find((d) => d.name === name)!;
          const key = poolKey(l, set);
          // A forking runtime serves every run of its set from one warm process: started once the set is wanted.
          if (forks(l)) {
            if (size > 0) zygotes.warm(key, zygotePlanFor(l, set)).catch((e: unknown) => log.warn({ err: String(e), key }, 'forking runtime did not start'));
          } else pools.setSize(key, poolPlanFor(l, set), size);
          applied[key] = Math.floor(size);
        }
      }
      return { applied, ignored };
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      for (const ctl of active.keys()) (ctl.cancelled = true), ctl.current?.kill('cancelled');
      await Promise.allSettled([...active.values()]);
      await pools.close();
      await zygotes.close();
      await compilers.close();
      await spawner.close();
      cgroups.close();
    },
  };
  return engine;
}

function raise(name: string): never {
  throw new RuntimeError('unknown_language', `Unknown language "${name}".`);
}
