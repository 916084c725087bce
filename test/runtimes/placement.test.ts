import fs from 'node:fs';
import path from 'node:path';
import { createRuntimeEngine, type RuntimeEngine } from '../../runtimes';
import { createEngineParts } from '../../runtimes/engine-parts';
import { Sandbox } from '../../runtimes/sandbox';
import { pidByComm } from '../support/procs';
import { spec } from './helpers';

// A forked Python run's P1 (runtimes/bootstrap/p1.c) reports itself as the run's monitor and goes on
// without waiting for the spawner, so the warm runtime (waiting in its clone until P1 has forked the
// program) never waits for a cgroup move. The program it forks reports its own pid and waits until the
// spawner has moved it into the run's cgroup: its code (on stdin) is read only after that, and the run's
// pid 1 is never in the run's cgroup. docs/decisions/runtimes-forking-sandboxes.md, Session 15.
let engine: RuntimeEngine;
/** The sandboxes the engine took for forked runs, latest last. */
const taken: Sandbox[] = [];

beforeAll(async () => {
  const real = createEngineParts({ poolSize: 1, cacheMaxBytes: 64 * 1024 * 1024, cgroupParent: `conveyor-test-placement-${process.pid}`, cpuCores: 1 });
  const { zygotes } = real;
  engine = createRuntimeEngine(
    { fork: ['python'] },
    {
      ...real,
      zygotes: {
        take: (...a) => {
          const s = zygotes.take(...a);
          if (s instanceof Sandbox) taken.push(s);
          return s;
        },
        disable: (k, why) => zygotes.disable(k, why),
        warm: (k, plan) => zygotes.warm(k, plan),
        stats: () => zygotes.stats(),
        close: () => zygotes.close(),
      },
    },
  );
  await engine.warm(['python']);
});
afterAll(() => engine.close());

/** The run cgroup's directory name (the same in every controller). */
const cgroupName = (s: Sandbox) => path.basename(path.dirname(s.cg.procsFiles[0]!));

it("runs a forked program's first statement inside the run's own cgroup, in every controller, also when 20 arrive at once", async () => {
  // At once, most are forked on demand: their code is sent while their program may still wait to be placed.
  const before = taken.length;
  const runs = await Promise.all(Array.from({ length: 20 }, (_, i) => engine.execute(spec('python', 'main.py', `print(${i}, open("/proc/self/cgroup").read(), end="")`))));
  const sandboxes = taken.slice(before);
  expect(sandboxes).toHaveLength(20);
  const names = new Set(sandboxes.map(cgroupName));
  for (const r of runs) {
    expect(r.status).toBe('ok');
    // One line per v1 hierarchy (id:controllers:path) or the v2 line; those this engine places into end with the run's cgroup.
    const lines = r.run!.stdout.trim().split('\n');
    const ends = lines.map((l) => l.slice(l.lastIndexOf('/') + 1));
    const mine = ends.filter((e) => names.has(e));
    expect(new Set(mine).size).toBe(1); // one run cgroup, in each controller it was placed in
    expect(mine.length).toBeGreaterThanOrEqual(sandboxes[0]!.cg.procsFiles.length);
  }
});

it("holds the program and what it starts in the run's cgroup, and not the run's pid 1", async () => {
  const tag = `place-${process.pid % 100000}`;
  let seen: { members: string[]; program: string; p1: string; p1IsInit: boolean } | null = null;
  const h = engine.start(spec('python', 'main.py', `import subprocess, time\nopen("/proc/self/comm", "w").write("${tag}")\nsubprocess.Popen(["/usr/bin/sleep", "30"])\nprint("started", flush=True)\ntime.sleep(30)`), {
    onChunk: (c) => {
      if (!c.data.includes('started') || seen) return;
      const program = pidByComm(tag)!;
      const p1 = /PPid:\s+(\d+)/.exec(fs.readFileSync(`/proc/${program}/status`, 'utf8'))![1]!;
      const procs = taken[taken.length - 1]!.cg.procsFiles[0]!;
      // P1 is the run's pid 1 (its last NSpid) and the program's parent.
      const p1IsInit = /NSpid:.*\s1\s*$/m.test(fs.readFileSync(`/proc/${p1}/status`, 'utf8'));
      seen = { members: fs.readFileSync(procs, 'utf8').split('\n').filter(Boolean), program, p1, p1IsInit };
      h.cancel();
    },
  });
  const r = await h.result;
  expect(r.status).toBe('cancelled');
  expect(seen).not.toBeNull();
  const { members, program, p1, p1IsInit } = seen!;
  expect(members).toContain(program);
  expect(members).toHaveLength(2); // the program and its sleep
  expect(members).not.toContain(p1);
  expect(p1IsInit).toBe(true);
});
