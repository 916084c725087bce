import fs from 'node:fs';
import { createRuntimeEngine, type RuntimeEngine } from '../../runtimes';
import { spec } from './helpers';
import { pidByComm } from '../support/procs';

// A forked Python run's pid 1 (P1, runtimes/bootstrap/p1.c) runs its set-up in the warm runtime's own
// memory (CLONE_VM | CLONE_VFORK), forks the program from it and then execs its reaper
// (p1_reaper.c): by the time the program runs, P1 holds nothing of the runtime's memory and nothing
// in the run can attach to it. The runtime waits for its P1 until then, and P1 waits for the
// spawner's "go": the spawner must never wait for the runtime (spawner.py send_forks).
let engine: RuntimeEngine;
const KEY = 'python:python-3.11-std';
beforeAll(async () => {
  engine = createRuntimeEngine({ poolSize: 1, fork: ['python'] });
  await engine.warm(['python']);
});
afterAll(() => engine.close());

const forks = () => engine.stats().forking![KEY]!.forks;

it("has a pid 1 with memory of its own while the program runs: the reaper, not dumpable, none of the runtime's pages", async () => {
  const tag = `p1m-${process.pid % 100000}`;
  const before = forks();
  let seen: { exe: string; rss: number; runtimeRss: number; runtimeExe: string } | null = null;
  const status = (pid: string, key: string) => new RegExp(`${key}:\\s+(.*)`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]?.trim() ?? '';
  const probe = [
    'import time',
    `open("/proc/self/comm", "w").write("${tag}")`,
    'for p in ("/proc/1/mem", "/proc/1/environ", "/proc/1/maps"):',
    '    try:',
    '        open(p, "rb").read(1)',
    '        print(p, "readable")',
    '    except OSError as e:',
    '        print(p, e.strerror)',
    'print("started", flush=True)',
    'time.sleep(30)',
  ].join('\n');
  let out = '';
  const h = engine.start(spec('python', 'main.py', probe), {
    onChunk: (c) => {
      out += c.data;
      if (!out.includes('started') || seen) return;
      const program = pidByComm(tag)!;
      const p1 = status(program, 'PPid');
      const runtime = status(p1, 'PPid');
      const kB = (pid: string) => Number(/(\d+) kB/.exec(status(pid, 'VmRSS'))?.[1]);
      seen = { exe: fs.readlinkSync(`/proc/${p1}/exe`), rss: kB(p1), runtimeRss: kB(runtime), runtimeExe: fs.readlinkSync(`/proc/${runtime}/exe`) };
      h.cancel();
    },
  });
  expect((await h.result).status).toBe('cancelled');
  expect(forks()).toBe(before + 1);
  expect(out).toMatch(/^\/proc\/1\/mem Permission denied\n\/proc\/1\/environ Permission denied\n\/proc\/1\/maps Permission denied\nstarted\n/);
  expect(seen!.exe).toMatch(/\/p1-reaper$/);
  expect(seen!.runtimeExe).toMatch(/python3/);
  // Measured (session 14): P1 ~0.5 MB, the runtime ~10 MB; a copy of the runtime would hold most of its pages.
  expect(seen!.rss).toBeLessThan(seen!.runtimeRss / 4);
});

it('starts more runs at once from one runtime than its control socket queues, and loses none', async () => {
  // The spawner's socket to a runtime holds ~278 fork messages (its 208 kB send buffer; measured): with
  // the runtime waiting for its P1 and P1 for the spawner's "go", a send that waited for room would
  // never return (it did, with the spawner of main 216707e: this test timed out).
  const n = 300;
  const before = forks();
  const results = await Promise.all(Array.from({ length: n }, (_, i) => engine.execute(spec('python', 'main.py', `print("run", ${i})`))));
  expect(results.map((r) => r.run?.stdout)).toEqual(Array.from({ length: n }, (_, i) => `run ${i}\n`));
  expect(results.every((r) => r.status === 'ok')).toBe(true);
  expect(forks()).toBe(before + n);
});
