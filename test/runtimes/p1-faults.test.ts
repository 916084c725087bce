import fs from 'node:fs';
import { createRuntimeEngine, type RuntimeEngine } from '../../runtimes';
import { spec } from './helpers';
import { pidByComm } from '../support/procs';

// A forked Python run's pid 1 (P1, runtimes/bootstrap/p1.c) is a copy of the warm runtime that runs
// no Python: each page of the runtime it touches is a fault and, when written, a page copied.
let engine: RuntimeEngine;
const KEY = 'python:python-3.11-std';
beforeAll(async () => {
  engine = createRuntimeEngine({ poolSize: 1, fork: ['python'] });
  await engine.warm(['python']);
});
afterAll(() => engine.close());

it("has a pid 1 that forks the program without running Python: few faults, few of the runtime's pages copied", async () => {
  const tag = `p1f-${process.pid % 100000}`;
  const seen: { minflt: number; dirty: number }[] = [];
  for (let i = 0; i < 3; i++) {
    const before = engine.stats().forking![KEY]!.forks;
    const h = engine.start(spec('python', 'main.py', `import time\nopen("/proc/self/comm", "w").write("${tag}")\nprint("started", flush=True)\ntime.sleep(30)`), {
      onChunk: (c) => {
        if (!c.data.includes('started') || seen.length > i) return;
        const program = pidByComm(tag)!;
        const p1 = /PPid:\s+(\d+)/.exec(fs.readFileSync(`/proc/${program}/status`, 'utf8'))![1]!;
        const stat = fs.readFileSync(`/proc/${p1}/stat`, 'utf8').split(') ').pop()!.split(' ');
        const dirty = Number(/Private_Dirty:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${p1}/smaps_rollup`, 'utf8'))![1]);
        seen.push({ minflt: Number(stat[7]), dirty });
        h.cancel();
      },
    });
    expect((await h.result).status).toBe('cancelled');
    expect(engine.stats().forking![KEY]!.forks).toBe(before + 1);
  }
  expect(seen).toHaveLength(3);
  // Measured (session 12): 27-28 faults and 156-172 kB; 189-192 faults and 376-380 kB while P1 still ran
  // the Python statements between its clone and the program's os.fork().
  for (const s of seen) {
    expect(s.minflt).toBeLessThan(80);
    expect(s.dirty).toBeLessThan(256);
  }
});
