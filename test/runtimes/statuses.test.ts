import { createRuntimeEngine, type RuntimeEngine } from '../../runtimes';
import { hostProcessesWith, spec } from './helpers';

// Each status produced by a real program. One engine, tests in order.
let engine: RuntimeEngine;
beforeAll(() => {
  engine = createRuntimeEngine({ poolSize: 1 });
});
afterAll(() => engine.close());

const MiB = 1024 * 1024;
/** Makes a source unique so the persistent compile cache cannot answer. */
const NONCE = `${process.pid}-${Date.now()}`;

describe('run statuses', () => {
  it('reports a segfault as runtime_error with signal SIGSEGV', async () => {
    const r = await engine.execute(spec('c', 'main.c', '#include <stdio.h>\nint main(void){ puts("before"); fflush(stdout); volatile int *p = 0; *p = 1; return 0; }'));
    expect(r.status).toBe('runtime_error');
    expect(r.run).toMatchObject({ status: 'runtime_error', signal: 'SIGSEGV', exitCode: null, stdout: 'before\n' });
  });

  it('reports a non-zero exit as runtime_error with the exit code and the traceback', async () => {
    const r = await engine.execute(spec('python', 'main.py', 'def f():\n    raise ValueError("boom")\nf()'));
    expect(r.run).toMatchObject({ status: 'runtime_error', exitCode: 1, signal: null });
    expect(r.run!.stderr).toMatch(/File "\/work\/main.py", line 3[\s\S]*ValueError: boom/);
    expect(r.run!.stderr).not.toMatch(/boot/);
  });

  it('keeps Python’s observable shutdown in the warm pool: threads joined, atexit run, exit codes kept', async () => {
    const code = 'import atexit, sys, threading, time\natexit.register(lambda: print("bye"))\ndef late():\n    time.sleep(0.2)\n    print("thread done", flush=True)\nthreading.Thread(target=late).start()\nprint("main done")\nsys.exit(3)\n';
    const r = await engine.execute(spec('python', 'main.py', code));
    expect(r.run).toMatchObject({ status: 'runtime_error', exitCode: 3, stdout: 'main done\nthread done\nbye\n' });
    const ok = await engine.execute(spec('python', 'main.py', 'import sys\nsys.stdout.write("no newline")'));
    expect(ok.run).toMatchObject({ status: 'ok', exitCode: 0, stdout: 'no newline' });
  });

  it('reports TypeScript that does not parse as compile_error with tsc’s message, never running a repaired program', async () => {
    // The compile stage gets its maximum limits: on a loaded machine tsc alone can take longer than the default 30 s.
    const r = await engine.execute(spec('typescript', 'main.ts', 'const p = Math.hypot(3, 4;\nconsole.log(p);', { limits: { compile: { wallMs: 60_000, cpuMs: 60_000 } } }));
    expect(r.status).toBe('compile_error');
    expect(r.run).toBeUndefined();
    expect(r.compile!.stdout).toBe('');
    expect(r.compile!.stderr).toMatch(/^main\.ts\(1,\d+\): error TS1005: '\)' expected\./);
  });

  it('stops an infinite loop at its CPU limit with time_limit', async () => {
    // A wall limit far away: only the CPU limit can have stopped it (a loaded machine stretches 500 ms of CPU over seconds).
    const r = await engine.execute(spec('c', 'main.c', 'int main(void){ volatile unsigned long x = 0; for(;;) x++; }', { limits: { run: { cpuMs: 500, wallMs: 60_000 } } }));
    expect(r.status).toBe('time_limit');
    expect(r.run!.cpuMs).toBeGreaterThanOrEqual(500);
    expect(r.run!.wallMs).toBeLessThan(30_000);
  });

  it('stops a sleeping program at its wall-clock limit with time_limit', async () => {
    const r = await engine.execute(spec('python', 'main.py', 'import time\ntime.sleep(30)', { limits: { run: { wallMs: 400 } } }));
    expect(r.status).toBe('time_limit');
    expect(r.run!.wallMs).toBeGreaterThanOrEqual(400);
    // Stopped by the 400 ms limit, long before the program's 30 s sleep ends (generous for a loaded machine).
    expect(r.run!.wallMs).toBeLessThan(10_000);
    expect(r.run!.cpuMs).toBeLessThan(300);
  });

  it('kills a memory bomb at the cgroup limit and reports memory_limit', async () => {
    const r = await engine.execute(spec('python', 'main.py', 'blocks = []\nwhile True:\n    blocks.append(bytearray(8 * 1024 * 1024))', { limits: { run: { memoryBytes: 64 * MiB } } }));
    expect(r.status).toBe('memory_limit');
    expect(r.run!.peakMemoryBytes).toBeGreaterThan(48 * MiB);
    expect(r.run!.peakMemoryBytes).toBeLessThanOrEqual(64 * MiB + 1024 * 1024);
  });

  it('reports memory_limit for a C++ program too (no RLIMIT_AS: the cgroup enforces it)', async () => {
    const r = await engine.execute(
      spec('c++', 'main.cpp', '#include <vector>\n#include <cstdio>\nint main(){ std::vector<std::vector<char>> v; for(;;) v.emplace_back(16 << 20, 1); }', { limits: { run: { memoryBytes: 100 * MiB } } }),
    );
    expect(r.status).toBe('memory_limit');
  });

  it('cuts an output flood at the byte limit, flags it and reports output_limit', async () => {
    const r = await engine.execute(spec('python', 'main.py', 'import sys\nwhile True:\n    sys.stdout.write("y" * 4096)', { limits: { run: { outputBytes: 100_000 } } }));
    expect(r.status).toBe('output_limit');
    expect(r.run!.stdoutTruncated).toBe(true);
    expect(r.run!.stderrTruncated).toBe(false);
    expect(r.run!.stdout.length).toBe(100_000);
  });

  it('reports compile_error with the compiler message and no run stage', async () => {
    const r = await engine.execute(spec('c++', 'main.cpp', 'int main() { return undefined_name; }'));
    expect(r.status).toBe('compile_error');
    expect(r.run).toBeUndefined();
    expect(r.compile!.status).toBe('compile_error');
    expect(r.compile!.stderr).toMatch(/main\.cpp:1:\d+: error: [‘']undefined_name[’'] was not declared in this scope/);
  });

  it('contains a fork bomb with the pids limit and leaves no process behind', async () => {
    const bomb = 'import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        break\nos.execv("/usr/bin/sleep", ["sleep", "987.654"])';
    const r = await engine.execute(spec('python', 'main.py', bomb, { limits: { run: { pids: 16, wallMs: 1500 } } }));
    expect(r.status).toBe('time_limit');
    expect(hostProcessesWith('987.654')).toEqual([]);
  });

  it('can be cancelled through an AbortSignal', async () => {
    const ac = new AbortController();
    const pending = engine.execute(spec('python', 'main.py', 'import time\ntime.sleep(30)'), { signal: ac.signal });
    setTimeout(() => ac.abort(), 300);
    const r = await pending;
    expect(r.status).toBe('cancelled');
  });

  it('reports wall, CPU and peak memory per stage', async () => {
    const r = await engine.execute(spec('c', 'main.c', `#include <stdlib.h>\n#include <string.h>\nint main(void){ char *p = malloc(40<<20); memset(p, 1, 40<<20); volatile long s = 0; for (long i = 0; i < 300000000L; i++) s += i; return p[5] - 1; }\n// ${NONCE}`, { compilerFlags: ['-O0'] }));
    expect(r.status).toBe('ok');
    expect(r.compile!.cpuMs).toBeGreaterThan(5);
    expect(r.run!.cpuMs).toBeGreaterThan(100);
    expect(r.run!.wallMs).toBeGreaterThanOrEqual(r.run!.cpuMs * 0.8);
    expect(r.run!.peakMemoryBytes).toBeGreaterThan(40 * MiB);
  });
});
