import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRuntimeEngine, type RuntimeEngine } from '../../runtimes';
import { createEngineParts, type EngineParts } from '../../runtimes/engine-parts';
import { Sandbox } from '../../runtimes/sandbox';
import { spec } from './helpers';

// The spawner reports a run's exit only once its cgroup holds none of its processes (spawner.py
// drain_cgroup: a pidfd per process left), not as soon as its status and its pipes' end arrive
// while the sandbox's pid 1 (a forked run's P1, bootstrap/p1.c; bwrap's own in a one-shot sandbox)
// still dies: so the cgroup that serves the next run (cgroup.ts recycle) starts clean and the
// engine's kill after each run finds nothing to kill.
const KEY = 'python:python-3.11-std';
const RUNS = 100;
let parts: EngineParts;
let engine: RuntimeEngine;
/** What each run's cgroup held when its exit was reported. */
const atExit: Promise<string[]>[] = [];
/** The sandbox of the latest run. */
let latest: Sandbox | null = null;
/** Heard before the sandbox's own handling of the exit (the engine dispatches after take), which kills what is left. */
function watch<T>(sandbox: T): T {
  if (sandbox instanceof Sandbox) {
    latest = sandbox;
    atExit.push(sandbox.proc.exited.then(() => members(sandbox.cg.procsFiles)));
  }
  return sandbox;
}

/** The processes in any controller of a run's cgroup (with their name and state), and a populated v2 cgroup. */
function members(procsFiles: string[]): string[] {
  const found: string[] = [];
  for (const f of procsFiles) {
    for (const pid of fs.readFileSync(f, 'utf8').split('\n').filter(Boolean)) {
      let what = 'gone since';
      try {
        const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
        what = `${/Name:\s+(.*)/.exec(status)?.[1]}, ${/State:\s+(.*)/.exec(status)?.[1]}`;
      } catch {
        /* exited meanwhile */
      }
      found.push(`${f}: ${pid} (${what})`);
    }
  }
  const events = procsFiles[0]!.replace(/cgroup\.procs$/, 'cgroup.events');
  if (fs.existsSync(events) && !/populated 0/.test(fs.readFileSync(events, 'utf8'))) found.push(`${events}: populated 1`);
  return found;
}

beforeAll(async () => {
  const real = createEngineParts({ poolSize: 1, cacheMaxBytes: 64 * 1024 * 1024, cgroupParent: `conveyor-test-exits-${process.pid}`, cpuCores: 1 });
  const { zygotes, pools } = real;
  parts = {
    ...real,
    pools: {
      take: (key, plan) => {
        const taken = pools.take(key, plan);
        return { ...taken, sandbox: watch(taken.sandbox) };
      },
      warm: (key, plan) => pools.warm(key, plan),
      setSize: (key, plan, size) => pools.setSize(key, plan, size),
      stats: () => pools.stats(),
      close: () => pools.close(),
    },
    zygotes: {
      take: (...a) => watch(zygotes.take(...a)),
      disable: (k, why) => zygotes.disable(k, why),
      warm: (k, plan) => zygotes.warm(k, plan),
      stats: () => zygotes.stats(),
      close: () => zygotes.close(),
    },
  };
  engine = createRuntimeEngine({ fork: ['python'] }, parts);
  await engine.warm(['python', 'javascript']);
});
afterAll(() => engine.close());

it(`reports the exit of each of ${RUNS} quick forked Python runs only once its cgroup holds no process`, async () => {
  const before = engine.stats().forking![KEY]!.forks;
  for (let i = 0; i < RUNS; i++) {
    const r = await engine.execute(spec('python', 'main.py', `print(${i})`));
    expect(r.run?.stdout).toBe(`${i}\n`);
  }
  expect(engine.stats().forking![KEY]!.forks).toBe(before + RUNS);
  expect(atExit).toHaveLength(RUNS);
  const left = (await Promise.all(atExit.splice(0))).filter((m) => m.length > 0);
  expect(left).toEqual([]);
});

it('reports the exit of a run that leaves processes behind only once its pid 1 has killed and reaped them', async () => {
  for (let i = 0; i < 10; i++) {
    const code = `import subprocess\nfor _ in range(3):\n    subprocess.Popen(["/usr/bin/sleep", "60"], start_new_session=True)\nprint("left 3")`;
    const r = await engine.execute(spec('python', 'main.py', code));
    expect(r.run?.stdout).toBe('left 3\n');
  }
  expect(atExit).toHaveLength(10);
  const left = (await Promise.all(atExit.splice(0))).filter((m) => m.length > 0);
  expect(left).toEqual([]);
});

it('reports the exit of each of 50 quick runs in one-shot sandboxes (bwrap, JavaScript) only once its cgroup holds no process', async () => {
  for (let i = 0; i < 50; i++) {
    const r = await engine.execute(spec('javascript', 'main.js', `console.log(${i})`));
    expect(r.run?.stdout).toBe(`${i}\n`);
  }
  expect(atExit).toHaveLength(50);
  const left = (await Promise.all(atExit.splice(0))).filter((m) => m.length > 0);
  expect(left).toEqual([]);
});

it("reports the exit anyway when a process that is not the sandbox's stays in its cgroup, which the engine then kills", async () => {
  let intruder: ReturnType<typeof spawn> | null = null;
  let intruderExit: (signal: NodeJS.Signals | null) => void = () => undefined;
  const killed = new Promise<NodeJS.Signals | null>((resolve) => (intruderExit = resolve));
  const h = engine.start(spec('python', 'main.py', 'import time\nprint("started", flush=True)\ntime.sleep(0.2)\nprint("done")'), {
    onChunk: (c) => {
      if (!c.data.includes('started') || intruder) return;
      // Joins the run's cgroup from outside (the tests run as root): no pid 1 of the sandbox will reap it.
      intruder = spawn('/usr/bin/sleep', ['60'], { stdio: 'ignore' });
      intruder.on('exit', (_code, signal) => intruderExit(signal));
      for (const f of latest!.cg.procsFiles) fs.writeFileSync(f, String(intruder.pid));
    },
  });
  const r = await h.result;
  // Not held until its wall-clock limit killed what was in the cgroup.
  expect(r.status).toBe('ok');
  expect(r.run?.stdout).toBe('started\ndone\n');
  expect(await killed).toBe('SIGKILL');
  const [left] = await Promise.all(atExit.splice(0));
  expect(left!.some((m) => m.includes(`: ${intruder!.pid} (sleep`))).toBe(true);
});
