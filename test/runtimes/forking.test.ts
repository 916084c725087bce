import fs from 'node:fs';
import { createRuntimeEngine, type RuntimeEngine } from '../../runtimes';
import { hostProcessesWith, spec } from './helpers';
import { pidByComm } from '../support/procs';

// Runs forked from a warm Python runtime (docs/decisions/runtimes-forking-sandboxes.md):
// each gets fresh namespaces, tmpfs mounts and cgroup before any of its code runs,
// and nothing one run does reaches the next. The tests check that the runs were
// really forked (stats), so a fallback to the one-shot pool cannot pass for them.
let engine: RuntimeEngine;
const NONCE = `${process.pid}-${Date.now()}`;
const KEY = 'python:python-3.11-std';
beforeAll(async () => {
  engine = createRuntimeEngine({ poolSize: 1, fork: ['python', 'native', 'compile'] });
  await engine.warm(['python']);
});
afterAll(() => engine.close());

const stats = () => engine.stats().forking![KEY]!;

async function forked(code: string, extra = {}) {
  const before = stats().forks;
  const r = await engine.execute(spec('python', 'main.py', code, extra));
  expect(stats().forks).toBe(before + 1);
  return r;
}

function descendsFromUs(pid: number): boolean {
  for (let p = pid, i = 0; p > 1 && i < 64; i++) {
    if (p === process.pid) return true;
    try {
      p = Number(fs.readFileSync(`/proc/${p}/stat`, 'utf8').split(') ').pop()!.split(' ')[1]);
    } catch {
      return false;
    }
  }
  return false;
}

/** Python that counts places in its own memory where the 64-byte marker occurs twice in a row. */
const SCAN = `
def conveyor_scan(m):
    hits = 0
    for line in open("/proc/self/maps"):
        addr, perms = line.split()[:2]
        if "r" not in perms or line.rstrip().endswith(("[vvar]", "[vsyscall]", "[vvar_vclock]")):
            continue
        lo, hi = (int(x, 16) for x in addr.split("-"))
        try:
            with open("/proc/self/mem", "rb", buffering=0) as f:
                f.seek(lo)
                data = f.read(hi - lo)
        except (OSError, ValueError, OverflowError):
            continue
        i = data.find(m)
        while i >= 0:
            if data[i + len(m): i + 2 * len(m)] == m:
                hits += 1
                break
            i = data.find(m, i + 1)
    return hits
`;
const MARKER = `import hashlib\nm = hashlib.sha256(b"conveyor-${NONCE}").hexdigest().encode()\n`;

describe('a forked Python run', () => {
  it('starts in its own namespaces without capabilities, as pid 2 under its own pid 1', async () => {
    const r = await forked(
      [
        'import os, socket',
        'st = dict(l.split(":\\t", 1) for l in open("/proc/self/status").read().splitlines() if ":\\t" in l)',
        'print(os.getpid(), os.getppid(), sorted(int(p) for p in os.listdir("/proc") if p.isdigit()))',
        'print(*(st[k].strip() for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs")))',
        'print(os.getuid(), os.getgid(), socket.gethostname(), sorted(n for _, n in socket.if_nameindex()))',
        'print(sorted(os.listdir("/proc/self/fd")))',
        'print(sorted(os.listdir("/work")), os.listdir("/tmp"), os.listdir("/dev/shm"))',
      ].join('\n'),
    );
    expect(r.status).toBe('ok');
    const lines = r.run!.stdout.trim().split('\n');
    expect(lines[0]).toBe('2 1 [1, 2]');
    expect(lines[1]).toBe('0000000000000000 0000000000000000 0000000000000000 0000000000000000 0000000000000000 1');
    expect(lines[2]).toBe("65534 65534 conveyor ['lo']");
    // 0-2 and the descriptor listdir itself opens: nothing inherited from the warm runtime.
    expect(lines[3]).toBe("['0', '1', '2', '3']");
    expect(lines[4]).toBe("['main.py'] [] []");
  });

  it('comes with the dependency set already imported (python-3.11-sci: numpy, pandas)', async () => {
    const key = 'python:python-3.11-sci';
    const before = engine.stats().forking![key]!.forks;
    const r = await engine.execute(spec('python', 'main.py', 'import sys\nwarm = "numpy" in sys.modules and "pandas" in sys.modules\nimport numpy as np, pandas as pd\nprint(warm, int(np.arange(4).sum()), len(pd.DataFrame({"a": [1, 2]})))', { dependencySet: 'python-3.11-sci' }));
    expect(engine.stats().forking![key]!.forks).toBe(before + 1);
    expect(r.run?.stdout).toBe('True 6 2\n');
  });

  it('is held by its own cgroup: its memory and pid limits apply', async () => {
    const mem = await forked('x = bytearray(200 * 1024 * 1024)\nprint("allocated")', { limits: { run: { memoryBytes: 64 * 1024 * 1024 } } });
    expect(mem.status).toBe('memory_limit');
    const pids = await forked('import subprocess\nok = 0\ntry:\n    for i in range(20):\n        subprocess.Popen(["/usr/bin/sleep", "5"]); ok += 1\nexcept OSError as e:\n    print("refused", type(e).__name__)\nprint(ok)', { limits: { run: { pids: 8 } } });
    expect(pids.run?.stdout).toMatch(/^refused BlockingIOError\n[0-7]\n$/);
  });

  it('stops at its time limit and when cancelled, and leaves no process behind', async () => {
    const slow = await forked(`import subprocess, time\nsubprocess.Popen(["/usr/bin/sleep", "871.${process.pid}"])\ntime.sleep(30)`, { limits: { run: { wallMs: 500 } } });
    expect(slow.status).toBe('time_limit');
    const before = stats().forks;
    const h = engine.start(spec('python', 'main.py', `import subprocess, time\nsubprocess.Popen(["/usr/bin/sleep", "872.${process.pid}"], start_new_session=True)\nprint("started", flush=True)\ntime.sleep(30)`), {
      onChunk: (c) => c.data.includes('started') && h.cancel(),
    });
    const r = await h.result;
    expect(stats().forks).toBe(before + 1);
    expect(r.status).toBe('cancelled');
    expect(hostProcessesWith(`871.${process.pid}`)).toEqual([]);
    expect(hostProcessesWith(`872.${process.pid}`)).toEqual([]);
  });

  it('has a pid 1 that runs no Python (p1.c): it copies few of the warm runtime\'s pages', async () => {
    const tag = `p1-${process.pid % 100000}`;
    const kB = (pid: string, key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1]);
    const status = (pid: string, key: string) => new RegExp(`${key}:\\s+(.*)`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    let seen: { nspid?: string; dirty: number; programDirty: number } | null = null;
    const before = stats().forks;
    const h = engine.start(spec('python', 'main.py', `import time\nopen("/proc/self/comm", "w").write("${tag}")\nprint("started", flush=True)\ntime.sleep(30)`), {
      onChunk: (c) => {
        if (!c.data.includes('started') || seen) return;
        const program = pidByComm(tag)!;
        const p1 = status(program, 'PPid')!;
        seen = { nspid: status(p1, 'NSpid'), dirty: kB(p1, 'Private_Dirty'), programDirty: kB(program, 'Private_Dirty') };
        h.cancel();
      },
    });
    expect((await h.result).status).toBe('cancelled');
    expect(stats().forks).toBe(before + 1);
    expect(seen!.nspid).toMatch(/\s1$/);
    // Measured: ~340 kB with p1.c, ~730 kB when P1 ran its steps in Python; the program itself ~1.4 MB.
    expect(seen!.programDirty).toBeGreaterThan(seen!.dirty);
    expect(seen!.dirty).toBeLessThan(512);
  });
});

describe('consecutive forked runs', () => {
  it('do not see the previous run\'s files, processes, environment or memory', async () => {
    const first = await forked(
      `${MARKER}${SCAN}
import os, subprocess
blob = m * 20000
os.environ["CONVEYOR_LEFT"] = "left-${NONCE}"
for p in ("/work/left.txt", "/tmp/left.txt", "/dev/shm/left"):
    open(p, "w").write("x")
subprocess.Popen(["/usr/bin/sleep", "876.${NONCE}"], start_new_session=True)
print("scan finds the marker here:", conveyor_scan(m) > 0)`,
    );
    expect(first.run?.stdout).toBe('scan finds the marker here: True\n');
    const second = await forked(
      `${MARKER}${SCAN}
import os
print(os.path.exists("/work/left.txt"), os.path.exists("/tmp/left.txt"), os.listdir("/dev/shm"), sorted(os.listdir("/work")))
print("CONVEYOR_LEFT" in os.environ, sorted(open(f"/proc/{p}/cmdline").read().split("\\0")[0] for p in os.listdir("/proc") if p.isdigit()))
print("marker in memory:", conveyor_scan(m))`,
    );
    expect(second.run?.stdout).toBe("False False [] ['main.py']\nFalse ['/usr/bin/python3', '/usr/bin/python3']\nmarker in memory: 0\n");
    expect(hostProcessesWith(`876.${NONCE}`)).toEqual([]);
  });

  it('do not inherit a corrupted interpreter: builtins, sys.modules, threads, imported modules', async () => {
    const first = await forked(`import builtins, json, sys, threading, time, types
json.dumps = lambda *a, **k: "hacked"
for i in range(2000):
    sys.modules[f"conveyor_fake_{i}"] = types.ModuleType(f"conveyor_fake_{i}")
for i in range(5):
    threading.Thread(target=time.sleep, args=(600,), daemon=True).start()
sys.path.insert(0, "/nowhere")
threads = threading.active_count()
builtins.len = lambda x: 42
print(len([1]), json.dumps(1), threads)`);
    expect(first.run?.stdout).toBe('42 hacked 6\n');
    const second = await forked(`import json, sys, threading
print(len([1, 2]), json.dumps([1]), threading.active_count(), any(k.startswith("conveyor_fake") for k in sys.modules), "/nowhere" in sys.path)`);
    expect(second.run?.stdout).toBe('2 [1] 1 False False\n');
  });

  it('fall back to the one-shot pool while the forking runtime restarts after it died', async () => {
    // Only this engine's: other test files (and other people's) run forking runtimes too.
    const zygotes = hostProcessesWith('/boot/zygote.py').filter(descendsFromUs);
    expect(zygotes.length).toBeGreaterThan(0);
    for (const pid of zygotes) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* a forked child of the previous test that just exited */
      }
    }
    const deadline = Date.now() + 5000;
    while (stats().ready && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const fallbacks = stats().fallbacks;
    const r = await engine.execute(spec('python', 'main.py', 'print("still served")'));
    expect(r.run?.stdout).toBe('still served\n');
    expect(stats().fallbacks).toBe(fallbacks + 1);
    await engine.warm(['python']);
    const again = await forked('print("forked again")');
    expect(again.run?.stdout).toBe('forked again\n');
  });
});

describe('compiled programs run by the native loader', () => {
  const CPP = 'c++:cpp-gcc12-std';
  const nativeForks = () => engine.stats().forking?.[`native:${CPP}`]?.forks ?? 0;
  const ready = async (key: string) => {
    const deadline = Date.now() + 20000;
    while (!engine.stats().forking?.[key]?.ready && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  };
  // The first run of a language starts its loader (and runs in a fresh sandbox meanwhile).
  beforeAll(async () => {
    await engine.execute(spec('c++', 'main.cpp', 'int main(){}'));
    await ready(`native:${CPP}`);
  });

  it('runs the cached artifact in fresh namespaces with its arguments, stdin, data files and exit status', async () => {
    const prog = `#include <cstdio>
#include <cstdlib>
#include <dirent.h>
#include <unistd.h>
int main(int argc, char** argv) {
  char line[64] = {0};
  if (!fgets(line, sizeof line, stdin)) return 3;
  printf("pid %d ppid %d arg %s stdin %s", getpid(), getppid(), argc > 1 ? argv[1] : "-", line);
  FILE* f = fopen("/work/data.txt", "r"); char d[16] = {0}; if (f && fgets(d, sizeof d, f)) printf("data %s\\n", d);
  const char* dirs[] = {"/artifacts", "/prog", "/work"};
  for (const char* dir : dirs) {
    printf("%s:", dir);
    if (DIR* h = opendir(dir)) { while (dirent* e = readdir(h)) if (e->d_name[0] != '.') printf(" %s", e->d_name); closedir(h); } else printf(" unreadable");
    printf("\\n");
  }
  FILE* w = fopen("/work/left.txt", "w"); if (w) fputs("x", w);
  return 7;
}`;
    const files = [{ name: 'main.cpp', content: prog }, { name: 'data.txt', content: 'payload' }];
    const first = await engine.execute({ ...spec('c++', 'main.cpp', prog, { args: ['one'], stdin: 'hello\n' }), files });
    expect(first.compile?.stderr ?? '').toBe('');
    expect(first.run?.exitCode).toBe(7);
    const before = nativeForks();
    const r = await engine.execute({ ...spec('c++', 'main.cpp', prog, { args: ['two'], stdin: 'again\n' }), files });
    expect(nativeForks()).toBe(before + 1);
    expect(r.cacheHit).toBe(true);
    expect(r.status).toBe('runtime_error');
    expect(r.run?.exitCode).toBe(7);
    // The other artifacts are hidden; the previous run's file is gone.
    expect(r.run?.stdout).toBe('pid 2 ppid 1 arg two stdin again\ndata payload\n/artifacts: unreadable\n/prog: main\n/work: data.txt\n');
  });

  it('compiles in a forked child too: its own output directory, the compiler\'s messages, a compile error', async () => {
    const before = nativeForks();
    const ok = await engine.execute(spec('c++', 'main.cpp', `#include <iostream>\nint main(){ std::cout << "fresh ${NONCE}\\n"; }\n`));
    expect(nativeForks()).toBe(before + 2); // the compile and the run
    expect(ok.cacheHit).toBe(false);
    expect(ok.compile?.status).toBe('ok');
    expect(ok.run?.stdout).toBe(`fresh ${NONCE}\n`);
    // Every other run's output directories and artifacts stay hidden from a compiler.
    const peek = await engine.execute(spec('c++', 'main.cpp', `#include "/outs/x"\n#include "/artifacts/y"\nint main(){} // ${NONCE}`));
    expect(nativeForks()).toBe(before + 3);
    expect(peek.status).toBe('compile_error');
    expect(peek.compile?.stderr).toMatch(/\/outs\/x: (Permission denied|No such file or directory)/);
  });

  it('reports a signal that kills the program, and stops it at its limits', async () => {
    const abort = await engine.execute(spec('c', 'main.c', '#include <stdlib.h>\nint main(void){ abort(); }'));
    expect(abort.run?.signal).toBe('SIGABRT');
    await ready('native:c:c-gcc12-std');
    const before = nativeForks();
    const again = await engine.execute(spec('c', 'main.c', '#include <stdlib.h>\nint main(void){ abort(); }'));
    expect(engine.stats().forking?.['native:c:c-gcc12-std']?.forks ?? 0).toBeGreaterThan(0);
    expect(again.run?.signal).toBe('SIGABRT');
    const spin = await engine.execute(spec('c++', 'main.cpp', 'int main(){ volatile unsigned long x = 0; for(;;) x++; }', { limits: { run: { cpuMs: 300 } } }));
    expect(nativeForks()).toBeGreaterThan(before);
    expect(spin.status).toBe('time_limit');
  });
});
