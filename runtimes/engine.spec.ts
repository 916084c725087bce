import { createRuntimeEngine } from './engine';
import type { EngineParts, StageSandbox } from './engine-parts';
import { LIMITS } from './limits';
import type { Dispatched, DispatchOptions, SandboxPlan } from './sandbox';
import type { NativeMounts } from './spawner/client';
import type { RunSpec, StageResult } from './types';

// The engine's own logic with fakes for its collaborators (engine-parts.ts):
// which sandbox a stage gets, the fallbacks, the compile cache, stage order
// and limits, statuses and cleanup. test/runtimes/ runs the real sandboxes.

type Source = 'fork' | 'pool' | 'oneShot' | 'server';
interface Outcome { result?: Partial<StageResult>; setupFailure?: string; throws?: Error; hang?: boolean }
type Script = (stage: 'compile' | 'run', source: Source, plan: SandboxPlan) => Outcome;

const ok = (stdout = ''): Outcome => ({ result: { status: 'ok', stdout, exitCode: 0 } });

class FakeSandbox implements StageSandbox {
  options: DispatchOptions | null = null;
  written: string[] = [];
  ended = false;
  killed: string | null = null;
  signals: number[] = [];
  private outcome: Outcome | null = null;
  constructor(readonly source: Source, readonly plan: SandboxPlan, private script: Script, private events: string[], readonly key = '') {}

  get setupFailure(): string | null {
    return this.outcome?.setupFailure ?? null;
  }

  dispatch(o: DispatchOptions): Dispatched {
    this.options = o;
    this.events.push(`dispatch ${o.stage} ${this.source}`);
    const outcome = (this.outcome = this.script(o.stage, this.source, this.plan));
    if (outcome.throws) throw outcome.throws;
    let finish: (r: StageResult) => void = () => undefined;
    const stage = (s: Partial<StageResult>): StageResult => ({
      status: 'ok', stdout: '', stderr: '', exitCode: 0, signal: null, wallMs: 1, cpuMs: 1, peakMemoryBytes: 1, stdoutTruncated: false, stderrTruncated: false, ...s,
    });
    const result = outcome.hang ? new Promise<StageResult>((r) => (finish = r)) : Promise.resolve(stage(outcome.setupFailure ? { status: 'internal_error', exitCode: null } : (outcome.result ?? {})));
    return {
      result,
      write: (d) => void this.written.push(d),
      end: () => void (this.ended = true),
      kill: (why) => ((this.killed = why), finish(stage({ status: why, exitCode: null }))),
      signal: (sig) => void this.signals.push(sig),
    };
  }
}

interface Fakes {
  parts: EngineParts;
  events: string[];
  sandboxes: FakeSandbox[];
  disabled: Map<string, string>;
  cached: Map<string, string>;
  pins: Map<string, number>;
  releaseReady(): void;
}

function fakes(script: Script = () => ok(), o: { forkReady?: boolean; spawnerReady?: boolean; pchBuilt?: boolean; serverReady?: boolean } = {}): Fakes {
  const events: string[] = [];
  const sandboxes: FakeSandbox[] = [];
  const disabled = new Map<string, string>();
  const cached = new Map<string, string>();
  const pins = new Map<string, number>();
  const stats = { pool: new Map<string, { hits: number; misses: number }>(), forks: new Map<string, number>() };
  let releaseReady: () => void = () => undefined;
  const ready = o.spawnerReady === false ? new Promise<void>((r) => (releaseReady = r)) : Promise.resolve();
  const sandbox = (source: Source, plan: SandboxPlan, key = '') => {
    const s = new FakeSandbox(source, plan, script, events, key);
    sandboxes.push(s);
    return s;
  };
  let outs = 0;
  const parts: EngineParts = {
    machineClasses: ['x86_64'],
    spawner: { ready, close: async () => void events.push('close spawner') },
    cgroups: { close: () => void events.push('close cgroups') },
    oneShot: (plan) => (events.push('oneShot'), sandbox('oneShot', plan)),
    pools: {
      take(key, plan) {
        events.push(`pool.take ${key}`);
        const s = stats.pool.get(key) ?? { hits: 0, misses: 0 };
        s.hits++;
        stats.pool.set(key, s);
        return { sandbox: sandbox('pool', plan(), key), hit: true };
      },
      warm: async (key) => void events.push(`pool.warm ${key}`),
      setSize: (key, _plan, size) => void events.push(`pool.size ${key} ${size}`),
      stats: () => Object.fromEntries([...stats.pool].map(([k, v]) => [k, { size: 1, ...v }])),
      close: async () => void events.push('close pools'),
    },
    zygotes: {
      take(key: string, plan: () => SandboxPlan, runPlan: SandboxPlan, mounts?: NativeMounts) {
        events.push(`zygote.take ${key}${mounts ? ` ${JSON.stringify(mounts)}` : ''}`);
        plan();
        if (o.forkReady === false || disabled.has(key)) return null;
        stats.forks.set(key, (stats.forks.get(key) ?? 0) + 1);
        return sandbox('fork', runPlan, key);
      },
      disable: (key, why) => void (events.push(`zygote.disable ${key}`), disabled.set(key, why)),
      warm: async (key) => void events.push(`zygote.warm ${key}`),
      stats: () => Object.fromEntries([...stats.forks].map(([k, forks]) => [k, { ready: true, forks, prepared: 0, starts: 1, fallbacks: 0 }])),
      close: async () => void events.push('close zygotes'),
    },
    cache: {
      lookup(key) {
        const dir = cached.get(key) ?? null;
        events.push(`cache.lookup ${dir ? 'hit' : 'miss'}`);
        if (dir) pins.set(key, (pins.get(key) ?? 0) + 1);
        return dir;
      },
      insert(key, outDir) {
        events.push(`cache.insert ${outDir}`);
        cached.set(key, `/artifacts/${key}`);
        pins.set(key, (pins.get(key) ?? 0) + 1);
        return `/artifacts/${key}`;
      },
      release(key) {
        events.push('cache.release');
        pins.set(key, (pins.get(key) ?? 0) - 1);
      },
      stats: () => ({ entries: cached.size, bytes: 0, hits: 0, misses: 0 }),
    },
    pch: {
      lookup: (compiler) => (events.push(`pch.lookup ${compiler}`), o.pchBuilt ? 'pchkey' : null),
      build: async (compiler) => (events.push(`pch.build ${compiler}`), true),
    },
    compilers: {
      take(r, outDir) {
        events.push(`compilers.take ${r.lang.id} ${outDir}`);
        return o.serverReady ? sandbox('server', { binds: [], files: [], env: {}, argv: [], workBytes: 0, rlimits: { fsize: 0, nofile: 0 }, cpuCores: 1, idleLimits: { memoryBytes: 0, pids: 0 } }) : null;
      },
      warm: async (lang) => void events.push(`compilers.warm ${lang.id}`),
      stats: () => ({}),
      close: async () => void events.push('close compilers'),
    },
    outDirs: {
      create: () => `/tmp/fake-tmp/out-${++outs}`,
      remove: (dir) => void events.push(`outDirs.remove ${dir}`),
    },
  };
  return { parts, events, sandboxes, disabled, cached, pins, releaseReady: () => releaseReady() };
}

let n = 0;
const spec = (language: string, name: string, content: string, extra: Partial<RunSpec> = {}): RunSpec => ({ runId: `spec-${++n}`, language, hardwareClass: 'x86_64', files: [{ name, content }], ...extra });
const C = () => spec('c', 'main.c', 'int main(void){return 0;}', { stdin: 'in' });
const PY = () => spec('python', 'main.py', 'print(1)');
const engineWith = (f: Fakes, fork: string[] = ['python', 'native', 'compile'], compilerServers = ['java']) => createRuntimeEngine({ fork, compilerServers }, f.parts);
const JAVA = () => spec('java', 'Main.java', 'public class Main { public static void main(String[] a) {} }');
const dispatches = (f: Fakes) => f.events.filter((e) => e.startsWith('dispatch'));

describe('engine: which sandbox a run gets', () => {
  it('forks a Python run from the warm runtime when it is ready and counts it as a warm hit', async () => {
    const f = fakes(() => ok('1\n'));
    const engine = engineWith(f);
    const r = await engine.execute(PY());
    expect(r).toMatchObject({ status: 'ok', pooled: true, run: { stdout: '1\n' } });
    expect(f.events).toEqual(['zygote.take python:python-3.11-std', 'dispatch run fork']);
    // The code header (length + JSON with the files) comes before the program's stdin.
    const input = f.sandboxes[0]!.options!.input;
    expect(JSON.parse(input.subarray(4, 4 + input.readUInt32BE(0)).toString()).files).toEqual([{ name: 'main.py', content: 'print(1)' }]);
    expect(engine.stats().pools['python:python-3.11-std']).toMatchObject({ hits: 1, size: 1 });
  });

  it('takes a one-shot pool sandbox when the forking runtime is not ready', async () => {
    const f = fakes(() => ok(), { forkReady: false });
    const r = await engineWith(f).execute(PY());
    expect(r.status).toBe('ok');
    expect(f.events).toEqual(['zygote.take python:python-3.11-std', 'pool.take python:python-3.11-std', 'dispatch run pool']);
  });

  it('never asks a forking runtime when forking is off, nor for a runtime that cannot fork (Node)', async () => {
    const f = fakes();
    const engine = engineWith(f, []);
    await engine.execute(PY());
    await engine.execute(spec('javascript', 'main.js', 'console.log(1)'));
    expect(f.events).toEqual(['pool.take python:python-3.11-std', 'dispatch run pool', 'pool.take node:javascript-node20-std', 'dispatch run pool']);
  });

  it('starts a fresh sandbox sized for the run when its file limits differ from the pool', async () => {
    const f = fakes();
    const r = await engineWith(f).execute({ ...PY(), limits: { run: { fileBytes: 1024 * 1024, openFiles: 32 } } });
    expect(r.pooled).toBe(false);
    expect(f.events).toEqual(['oneShot', 'dispatch run oneShot']);
    expect(f.sandboxes[0]!.plan.rlimits).toEqual({ fsize: 1024 * 1024, nofile: 32 });
  });

  it('stops forking a runtime whose child cannot be set up, and runs the program in the pool instead', async () => {
    const f = fakes((_stage, source) => (source === 'fork' ? { setupFailure: 'unshare: EPERM' } : ok('from pool')));
    const engine = engineWith(f);
    const r = await engine.execute(PY());
    expect(r).toMatchObject({ status: 'ok', run: { stdout: 'from pool' } });
    expect(f.disabled.get('python:python-3.11-std')).toBe('unshare: EPERM');
    expect(dispatches(f)).toEqual(['dispatch run fork', 'dispatch run pool']);
  });

  it('retries a run whose forked child could not be set up once, outside the forking runtime, even when the runtime keeps offering children', async () => {
    const f = fakes((_stage, source) => (source === 'fork' ? { setupFailure: 'unshare: EPERM' } : ok('not forked')));
    // A forking runtime that ignores disable (a bug there) must not make the engine fork the same run again and again.
    f.parts.zygotes.disable = () => undefined;
    const py = await engineWith(f).execute(PY());
    expect(py).toMatchObject({ status: 'ok', run: { stdout: 'not forked' } });
    expect(dispatches(f)).toEqual(['dispatch run fork', 'dispatch run pool']);
    const c = fakes((_stage, source) => (source === 'fork' ? { setupFailure: 'no userns' } : ok()));
    c.parts.zygotes.disable = () => undefined;
    expect((await engineWith(c).execute(C())).status).toBe('ok');
    expect(dispatches(c)).toEqual(['dispatch compile fork', 'dispatch compile oneShot', 'dispatch run fork', 'dispatch run oneShot']);
  });

  it('forks the stages of a compiled language from its native loader with the stage directories by name', async () => {
    const f = fakes();
    const r = await engineWith(f).execute(C());
    expect(r.status).toBe('ok');
    const takes = f.events.filter((e) => e.startsWith('zygote.take'));
    expect(takes).toEqual(['zygote.take native:c:c-gcc12-std {"out":"out-1"}', expect.stringMatching(/^zygote.take native:c:c-gcc12-std \{"prog":"[0-9a-f]{64}"\}$/)]);
    // The loader reads the stage's header before the program's own stdin.
    const run = f.sandboxes[1]!.options!.input;
    const header = JSON.parse(run.subarray(4, 4 + run.readUInt32BE(0)).toString());
    expect(header.argv).toEqual(['/prog/main']);
    expect(run.subarray(4 + run.readUInt32BE(0)).toString()).toBe('in');
  });

  it('runs a compiled stage in a fresh sandbox when the loader cannot set up its child, and stops forking it', async () => {
    const f = fakes((_stage, source) => (source === 'fork' ? { setupFailure: 'no userns' } : ok()));
    const r = await engineWith(f).execute(C());
    expect(r.status).toBe('ok');
    expect(f.disabled.has('native:c:c-gcc12-std')).toBe(true);
    expect(dispatches(f)).toEqual(['dispatch compile fork', 'dispatch compile oneShot', 'dispatch run oneShot']);
    // A fresh sandbox gets the program's stdin alone, no loader header.
    expect(f.sandboxes[2]!.options!.input.toString()).toBe('in');
  });

  it('uses fresh sandboxes for compiled stages when native and compile forking are off', async () => {
    const f = fakes();
    await engineWith(f, ['python']).execute(C());
    expect(f.events.some((e) => e.startsWith('zygote.take'))).toBe(false);
    expect(dispatches(f)).toEqual(['dispatch compile oneShot', 'dispatch run oneShot']);
  });
});

describe('engine: the compile cache and the stages', () => {
  it('compiles on a miss, moves the output into the cache, runs the artifact and releases its pin', async () => {
    const f = fakes();
    const r = await engineWith(f, []).execute(C());
    expect(r).toMatchObject({ status: 'ok', cacheHit: false, compile: { status: 'ok' }, run: { status: 'ok' } });
    expect(f.events).toEqual([
      'cache.lookup miss',
      'oneShot',
      'dispatch compile oneShot',
      'cache.insert /tmp/fake-tmp/out-1',
      'outDirs.remove /tmp/fake-tmp/out-1',
      'oneShot',
      'dispatch run oneShot',
      'cache.release',
    ]);
    expect([...f.pins.values()]).toEqual([0]);
    // The run stage mounts the cached artifact at /prog.
    expect(f.sandboxes[1]!.plan.binds).toContainEqual([expect.stringMatching(/\/artifacts\/[0-9a-f]{64}$/), '/prog', 'ro']);
  });

  it('skips the compile stage when the same program was compiled before, and compiles again when a flag changes', async () => {
    const f = fakes();
    const engine = engineWith(f, []);
    await engine.execute(C());
    f.events.length = 0;
    const hit = await engine.execute(C());
    expect(hit).toMatchObject({ status: 'ok', cacheHit: true });
    expect(hit.compile).toBeUndefined();
    expect(f.events).toEqual(['cache.lookup hit', 'oneShot', 'dispatch run oneShot', 'cache.release']);
    f.events.length = 0;
    const other = await engine.execute({ ...C(), compilerFlags: ['-O0'] });
    expect(other.cacheHit).toBe(false);
    expect(dispatches(f)).toEqual(['dispatch compile oneShot', 'dispatch run oneShot']);
  });

  it('tells the stage listener of each stage before it is dispatched, compile first', async () => {
    const f = fakes();
    const heard: string[] = [];
    const h = engineWith(f, []).start(C(), { onStage: (s) => void (heard.push(s), f.events.push(`stage ${s}`)) });
    await h.result;
    expect(f.events.filter((e) => /^(stage|dispatch)/.test(e))).toEqual(['stage compile', 'dispatch compile oneShot', 'stage run', 'dispatch run oneShot']);
    expect(heard).toEqual(['compile', 'run']);
  });

  it('gives each stage its own limits: the compile stage the compile limits and no stdin, the run stage the run limits', async () => {
    const f = fakes();
    const limits = { compile: { wallMs: 20_000, memoryBytes: 512 * 1024 * 1024 }, run: { wallMs: 1_000, memoryBytes: 64 * 1024 * 1024, pids: 8 } };
    await engineWith(f, []).execute({ ...C(), limits });
    const [compile, run] = f.sandboxes.map((s) => s.options!);
    expect(compile!.limits).toEqual({ ...LIMITS.defaults.compile, ...limits.compile });
    expect(compile!.closeStdin).toBe(true);
    expect(compile!.input.length).toBe(0);
    expect(run!.limits).toEqual({ ...LIMITS.defaults.run, ...limits.run });
    expect(f.sandboxes[1]!.plan.idleLimits).toEqual({ memoryBytes: 64 * 1024 * 1024, pids: 8 });
    expect(f.sandboxes[0]!.plan.idleLimits).toEqual({ memoryBytes: 512 * 1024 * 1024, pids: LIMITS.defaults.compile.pids });
  });

  it('compiles Java on the warm compiler server when it takes the compile, then runs the artifact', async () => {
    const f = fakes(() => ok(), { serverReady: true });
    const r = await engineWith(f, []).execute(JAVA());
    expect(r).toMatchObject({ status: 'ok', compile: { status: 'ok' } });
    expect(f.events).toEqual([
      'cache.lookup miss',
      'pch.lookup undefined',
      'compilers.take java /tmp/fake-tmp/out-1',
      'dispatch compile server',
      'cache.insert /tmp/fake-tmp/out-1',
      'outDirs.remove /tmp/fake-tmp/out-1',
      'oneShot',
      'dispatch run oneShot',
      'cache.release',
    ].filter((e) => e !== 'pch.lookup undefined'));
    expect(f.sandboxes[0]!.options).toMatchObject({ stage: 'compile', limits: LIMITS.defaults.compile, closeStdin: true });
  });

  it('compiles Java in a sandbox when no server takes it, when the server died under the compile, or when servers are off', async () => {
    const none = fakes();
    await engineWith(none, []).execute(JAVA());
    expect(dispatches(none)).toEqual(['dispatch compile oneShot', 'dispatch run oneShot']);
    const died = fakes((_stage, source) => (source === 'server' ? { setupFailure: 'the compiler server died' } : ok()), { serverReady: true });
    const r = await engineWith(died, []).execute(JAVA());
    expect(r).toMatchObject({ status: 'ok', compile: { status: 'ok' } });
    expect(dispatches(died)).toEqual(['dispatch compile server', 'dispatch compile oneShot', 'dispatch run oneShot']);
    const off = fakes(() => ok(), { serverReady: true });
    await engineWith(off, [], []).execute(JAVA());
    expect(off.events.some((e) => e.startsWith('compilers.take'))).toBe(false);
    // C never asks a compiler server.
    await engineWith(off, []).execute(C());
    expect(off.events.some((e) => e.startsWith('compilers.take'))).toBe(false);
  });

  it('puts the precompiled header on the C++ compiler include path once it is built', async () => {
    const f = fakes(() => ok(), { pchBuilt: true });
    await engineWith(f, []).execute(spec('c++', 'main.cpp', '#include <iostream>\nint main(){}'));
    expect(f.events).toContain('pch.lookup /usr/bin/g++-12');
    expect(f.sandboxes[0]!.plan.argv).toEqual(expect.arrayContaining(['-I', '/pch']));
    expect(f.sandboxes[0]!.plan.binds).toContainEqual(['/run/conveyor/cache/pch/pchkey', '/pch', 'ro']);
  });
});

describe('engine: statuses', () => {
  it('reports a compiler that exits non-zero as compile_error, never runs, caches nothing and removes the output directory', async () => {
    const f = fakes((stage) => (stage === 'compile' ? { result: { status: 'runtime_error', exitCode: 1, stderr: 'main.c:1: error' } } : ok()));
    const r = await engineWith(f, []).execute(C());
    expect(r).toMatchObject({ status: 'compile_error', message: 'Compilation failed.', compile: { status: 'compile_error', stderr: 'main.c:1: error' } });
    expect(r.run).toBeUndefined();
    expect(f.cached.size).toBe(0);
    expect(f.events).toContain('outDirs.remove /tmp/fake-tmp/out-1');
    expect(dispatches(f)).toEqual(['dispatch compile oneShot']);
  });

  it.each([
    ['time_limit', 'Compilation stopped: time limit.'],
    ['memory_limit', 'Compilation stopped: memory limit.'],
    ['output_limit', 'Compilation stopped: output limit.'],
  ] as const)('reports a compile stage stopped by %s with that status and says so', async (status, message) => {
    const f = fakes((stage) => (stage === 'compile' ? { result: { status, exitCode: null } } : ok()));
    const r = await engineWith(f, []).execute(C());
    expect(r).toMatchObject({ status, message, compile: { status } });
    expect(r.run).toBeUndefined();
  });

  it('reports the run stage status as the run status', async () => {
    const f = fakes((stage) => (stage === 'run' ? { result: { status: 'memory_limit', exitCode: null } } : ok()));
    const r = await engineWith(f, []).execute(C());
    expect(r).toMatchObject({ status: 'memory_limit', compile: { status: 'ok' }, run: { status: 'memory_limit' } });
  });

  it('reports a TypeScript parse refusal in the warm runtime as compile_error', async () => {
    const f = fakes(() => ({ result: { status: 'runtime_error', exitCode: 97, stderr: "main.ts(1,5): error TS1005: ';' expected." } }));
    const r = await engineWith(f).execute(spec('typescript', 'main.ts', 'let x y'));
    expect(r).toMatchObject({ status: 'compile_error', message: 'Compilation failed.', compile: { status: 'compile_error' } });
    // A program that exits 97 on its own is a runtime error.
    const own = await engineWith(fakes(() => ({ result: { status: 'runtime_error', exitCode: 97, stderr: '' } }))).execute(spec('typescript', 'main.ts', 'process.exit(97)'));
    expect(own.status).toBe('runtime_error');
  });

  it('answers internal_error with a sentence when a collaborator fails, and still releases the cache pin', async () => {
    const f = fakes((stage) => (stage === 'run' ? { throws: new Error('spawner gone') } : ok()));
    const r = await engineWith(f, []).execute(C());
    expect(r).toMatchObject({ status: 'internal_error', message: 'The engine failed to run this program: spawner gone' });
    expect([...f.pins.values()]).toEqual([0]);
  });

  it('removes the output directory when the compile stage itself throws', async () => {
    const f = fakes((stage) => (stage === 'compile' ? { throws: new Error('no cgroup') } : ok()));
    const r = await engineWith(f, []).execute(C());
    expect(r.status).toBe('internal_error');
    expect(f.events).toContain('outDirs.remove /tmp/fake-tmp/out-1');
  });

  it('refuses bad input with a coded error before touching any collaborator', () => {
    const f = fakes();
    expect(() => engineWith(f).start(spec('cobol', 'main.cob', ''))).toThrow(expect.objectContaining({ code: 'unknown_language' }));
    expect(() => engineWith(f).start({ ...C(), hardwareClass: 'arm64' })).toThrow(expect.objectContaining({ code: 'hardware_class_unavailable' }));
    expect(f.events).toEqual([]);
  });
});

describe('engine: control of a run', () => {
  it('answers cancelled without a sandbox when cancelled before the spawner is ready', async () => {
    const f = fakes(() => ok(), { spawnerReady: false });
    const h = engineWith(f).start(PY());
    h.cancel();
    f.releaseReady();
    expect((await h.result).status).toBe('cancelled');
    expect(f.sandboxes).toEqual([]);
  });

  it('delivers stdin and signals given before the stage started, then kills the stage on cancel', async () => {
    const f = fakes(() => ({ hang: true }), { spawnerReady: false });
    const h = engineWith(f).start(PY(), { interactiveStdin: true });
    h.write('early\n');
    h.signal('SIGINT');
    expect(() => h.signal('SIGNOPE')).toThrow(expect.objectContaining({ code: 'invalid_signal' }));
    f.releaseReady();
    await new Promise((r) => setImmediate(r));
    const s = f.sandboxes[0]!;
    expect(s.options!.closeStdin).toBe(false);
    expect(s.written).toEqual(['early\n']);
    expect(s.signals).toEqual([2]);
    h.write('late\n');
    h.endStdin();
    expect(s.written).toEqual(['early\n', 'late\n']);
    expect(s.ended).toBe(true);
    h.cancel();
    expect(s.killed).toBe('cancelled');
    expect((await h.result).status).toBe('cancelled');
  });

  it('ends a compiled run after its compile stage when cancelled meanwhile, caching nothing', async () => {
    const f = fakes((stage) => (stage === 'compile' ? { hang: true } : ok()));
    const h = engineWith(f, []).start(C());
    await new Promise((r) => setImmediate(r));
    h.cancel();
    const r = await h.result;
    expect(r.status).toBe('cancelled');
    expect(r.run).toBeUndefined();
    expect(f.cached.size).toBe(0);
    expect(f.events).toContain('outDirs.remove /tmp/fake-tmp/out-1');
  });

  it('close cancels the runs in flight, then closes pools, forking runtimes, spawner and cgroups in that order', async () => {
    const f = fakes(() => ({ hang: true }));
    const engine = engineWith(f);
    const h = engine.start(PY());
    await new Promise((r) => setImmediate(r));
    await engine.close();
    expect((await h.result).status).toBe('cancelled');
    expect(f.events.filter((e) => e.startsWith('close'))).toEqual(['close pools', 'close zygotes', 'close compilers', 'close spawner', 'close cgroups']);
    expect(() => engine.start(PY())).toThrow(expect.objectContaining({ code: 'engine_closed' }));
  });

  it('starts a compiler server only when its language is warmed by name', async () => {
    const f = fakes();
    await engineWith(f).warm();
    expect(f.events.some((e) => e.startsWith('compilers.warm'))).toBe(false);
    await engineWith(f).warm(['java']);
    expect(f.events.filter((e) => e.startsWith('compilers.warm'))).toEqual(['compilers.warm java']);
  });

  it('warms forking runtimes for Python (each dependency set), pools for Node and the C++ precompiled headers', async () => {
    const f = fakes();
    await engineWith(f).warm(['python', 'javascript', 'c++']);
    expect(f.events).toEqual(['zygote.warm python:python-3.11-std', 'zygote.warm python:python-3.11-sci', 'pool.warm node:javascript-node20-std', 'pch.build /usr/bin/g++-12']);
  });

  it('sets warm-pool sizes per dependency set: pools of one-shot runtimes, forking runtimes started, others ignored', () => {
    const f = fakes();
    const engine = engineWith(f);
    const r = engine.setPoolSizes({ 'javascript-node22-std': 4, 'typescript-node20-std': 0, 'python-3.11-sci': 2, 'python-3.11-std': 0, 'c-gcc12-std': 3, nope: 1, 'javascript-node20-std': -1 });
    expect(r.applied).toEqual({ 'node:javascript-node22-std': 4, 'typescript:typescript-node20-std': 0, 'python:python-3.11-sci': 2, 'python:python-3.11-std': 0 });
    expect(r.ignored.sort()).toEqual(['c-gcc12-std', 'javascript-node20-std', 'nope']);
    expect(f.events).toEqual(['pool.size node:javascript-node22-std 4', 'pool.size typescript:typescript-node20-std 0', 'zygote.warm python:python-3.11-sci']);
  });
});
