import fs from 'node:fs';
import { createRuntimeEngine, type RuntimeEngine } from '../../runtimes';
import { hostProcessesWith, spec } from './helpers';

// Hostile programs against the sandbox, and runs that try to leave traces for
// the next run from the same warm pool (docs/decisions/runtimes-isolation.md).
let engine: RuntimeEngine;
const NONCE = `${process.pid}-${Date.now()}`;
beforeAll(() => {
  engine = createRuntimeEngine({ poolSize: 1 });
});
afterAll(() => engine.close());

const py = (code: string) => engine.execute(spec('python', 'main.py', code));

describe('sandbox', () => {
  it('has no network: only its own loopback, no host services, no name resolution', async () => {
    // Only loopback targets: nothing may leave this machine, even from a test. The sandbox's
    // 127.0.0.1 is its own, so the host's Kafka broker there must be unreachable.
    const r = await py(
      'import socket\ntry:\n    socket.create_connection(("127.0.0.1", 9092), timeout=2)\n    print("reached host service")\nexcept OSError as e:\n    print("failed", type(e).__name__)\ntry:\n    socket.getaddrinfo("localhost.invalid", 80)\n    print("resolved")\nexcept OSError as e:\n    print("no dns", type(e).__name__)\nprint(sorted(n for _, n in socket.if_nameindex()))',
    );
    expect(r.run?.stdout).toBe("failed ConnectionRefusedError\nno dns gaierror\n['lo']\n");
  });

  it('cannot write outside its work and temp directories', async () => {
    const r = await py(
      'import os\nfor p in ["/usr/lib/evil", "/etc/evil", "/evil", "/boot/evil", "/proc/evil", "/work/ok", "/tmp/ok"]:\n    try:\n        open(p, "w").write("x")\n        print(p, "written")\n    except OSError as e:\n        print(p, e.strerror)',
    );
    const lines = r.run!.stdout.trim().split('\n');
    expect(lines.slice(-2)).toEqual(['/work/ok written', '/tmp/ok written']);
    for (const l of lines.slice(0, -2)) expect(l).toMatch(/ (Read-only file system|Permission denied|No such file or directory)$/);
  });

  it('cannot read host secrets: the engine environment, /root, other processes', async () => {
    const probe = engine.execute(
      spec('python', 'main.py', 'import os\nfor p in ["/proc/1/environ", "/proc/self/environ", "/root/.bashrc", "/root/.cache", "/etc/shadow", "/run/conveyor"]:\n    try:\n        print(p, open(p, "rb").read() if not os.path.isdir(p) else os.listdir(p))\n    except OSError as e:\n        print(p, e.strerror)\nprint(os.getuid(), os.getgid(), sorted(int(x) for x in os.listdir("/proc") if x.isdigit()))'),
    );
    const r = await probe;
    const out = r.run!.stdout;
    // jest gives the test its own process.env copy; the real one is what a spawned child inherits.
    const hostValues = fs.readFileSync('/proc/self/environ', 'utf8').split('\0').map((kv) => kv.slice(kv.indexOf('=') + 1)).filter((v) => v.length >= 12 && !v.includes('/usr/bin:/bin'));
    expect(hostValues.length).toBeGreaterThan(3);
    expect(hostValues.filter((v) => out.includes(v))).toEqual([]);
    expect(out).toMatch(/\/root\/.bashrc No such file or directory/);
    expect(out).toMatch(/\/root\/.cache No such file or directory/);
    expect(out).toMatch(/\/etc\/shadow No such file or directory/);
    expect(out).toMatch(/\/run\/conveyor No such file or directory/);
    expect(out).toMatch(/\n65534 65534 \[1, 2\]\n$/);
  });
});

describe('isolation between consecutive runs from the same warm pool', () => {
  it('leaves no files, processes or changed runtime for the next Python run', async () => {
    await engine.warm(['python']);
    const first = await py(
      `import os, signal, subprocess, json\nopen("/work/left.txt", "w").write("x")\nopen("/tmp/left.txt", "w").write("x")\nsubprocess.Popen(["/usr/bin/sleep", "876.${process.pid}"], start_new_session=True)\njson.dumps = lambda *a, **k: "hacked"\nfor pid in (os.getppid(), 1):\n    try:\n        os.kill(pid, signal.SIGKILL)\n    except OSError as e:\n        print("kill", pid, e.strerror)\nprint("done")`,
    );
    expect(first.pooled).toBe(true);
    expect(first.run?.stdout).toContain('done');
    const second = await py('import os, json\nprint(os.path.exists("/work/left.txt"), os.path.exists("/tmp/left.txt"), sorted(os.listdir("/work")), json.dumps([1]))\nprint(sorted(open(f"/proc/{p}/cmdline").read().split("\\0")[0] for p in os.listdir("/proc") if p.isdigit()))');
    expect(second.pooled).toBe(true);
    expect(second.run?.stdout.split('\n')[0]).toBe("False False ['main.py'] [1]");
    expect(second.run?.stdout).not.toContain('sleep');
    expect(hostProcessesWith(`876.${process.pid}`)).toEqual([]);
  });

  it('keeps JavaScript globals and files from leaking into the next run', async () => {
    const first = await engine.execute(spec('js', 'main.js', 'globalThis.leak = 1; require("fs").writeFileSync("/work/leak.txt", "x"); Array.prototype.map = null; console.log("set")'));
    expect(first.run?.stdout).toBe('set\n');
    const second = await engine.execute(spec('js', 'main.js', 'console.log(typeof globalThis.leak, require("fs").existsSync("/work/leak.txt"), [1].map((x) => x + 1)[0])'));
    expect(second.pooled).toBe(true);
    expect(second.run?.stdout).toBe('undefined false 2\n');
  });

  it('reports pool hits and sizes', () => {
    const pools = engine.stats().pools;
    expect(pools['python:python-3.11-std']!.hits).toBeGreaterThanOrEqual(3);
    expect(pools['node:javascript-node20-std']!.hits + pools['node:javascript-node20-std']!.misses).toBe(2);
  });
});

describe('compile cache', () => {
  it('does not compile an identical program twice', async () => {
    const code = `#include <iostream>\nint main(){ std::cout << "cached ${NONCE}\\n"; }`;
    const before = engine.stats().cache;
    const first = await engine.execute(spec('c++', 'main.cpp', code));
    const second = await engine.execute(spec('c++', 'main.cpp', code));
    expect(first).toMatchObject({ status: 'ok', cacheHit: false });
    expect(first.compile?.status).toBe('ok');
    expect(second).toMatchObject({ status: 'ok', cacheHit: true });
    expect(second.compile).toBeUndefined();
    expect(second.run?.stdout).toBe(`cached ${NONCE}\n`);
    const after = engine.stats().cache;
    expect(after.hits - before.hits).toBe(1);
    expect(after.entries).toBeGreaterThanOrEqual(1);
    const third = await engine.execute(spec('c++', 'main.cpp', code, { compilerFlags: ['-O0'] }));
    expect(third.cacheHit).toBe(false);
  });
});
