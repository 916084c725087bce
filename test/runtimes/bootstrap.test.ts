import { createRuntimeEngine, type RuntimeEngine } from '../../runtimes';
import { spec } from './helpers';

// The Python bootstrap (runtimes/bootstrap/python_boot.py) and a forked run's first steps (p1.c
// program_prologue): what the program sees is unchanged; what its first statement costs is counted.
let forking: RuntimeEngine;
let oneShot: RuntimeEngine;
const KEY = 'python:python-3.11-std';
beforeAll(async () => {
  forking = createRuntimeEngine({ poolSize: 1, fork: ['python'] });
  oneShot = createRuntimeEngine({ poolSize: 1, fork: [] });
  await Promise.all([forking.warm(['python']), oneShot.warm(['python'])]);
});
afterAll(() => Promise.all([forking.close(), oneShot.close()]));

async function forked(s: Parameters<RuntimeEngine['execute']>[0]) {
  const before = forking.stats().forking![KEY]!.forks;
  const r = await forking.execute(s);
  expect(forking.stats().forking![KEY]!.forks).toBe(before + 1);
  return r;
}

it("reaches a forked program's first statement with few page faults: its prologue is C, its source is not read back", async () => {
  const seen: number[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await forked(spec('python', 'main.py', "print(open('/proc/self/stat').read().rsplit(') ', 1)[1].split()[7])"));
    expect(r.status).toBe('ok');
    seen.push(Number(r.run!.stdout.trim()));
  }
  // Minor faults of the program from its fork to its first statement, measured (Session 16): 444 while it
  // made itself dumpable and installed the seccomp filter through ctypes, ran os.makedirs('/work') and
  // read its file back; 364 then; 319 since its signal dispositions are set through _signal, not through
  // signal.signal's enum conversions, ~312 since its header is decoded without json's encoding detection
  // and struct (Session 17). Each is a page of the warm runtime touched, most of them copied.
  for (const n of seen) {
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThan(340);
  }
});

it('starts the program in /work, dumpable, without new privileges and under the seccomp filter', async () => {
  const r = await forked(
    spec(
      'python',
      'main.py',
      [
        'import ctypes, os',
        'st = dict(l.split(":\\t", 1) for l in open("/proc/self/status").read().splitlines() if ":\\t" in l)',
        'print(os.getcwd(), ctypes.CDLL(None).prctl(3, 0, 0, 0, 0), st["NoNewPrivs"].strip(), st["Seccomp"].strip())',
      ].join('\n'),
    ),
  );
  expect(r.status).toBe('ok');
  // PR_GET_DUMPABLE (3) is 1; Seccomp 2 is a filter (test/runtimes/seccomp.test.ts: what it denies).
  expect(r.run!.stdout).toBe('/work 1 1 2\n');
});

it("gives a forked program a fresh interpreter's signal dispositions", async () => {
  // The kernel's masks (blocked, ignored, caught) and what Python's signal module reports for each signal.
  const code = [
    'import signal',
    'st = dict(l.split(":\\t", 1) for l in open("/proc/self/status").read().splitlines() if ":\\t" in l)',
    'print(st["SigBlk"].strip(), st["SigIgn"].strip(), st["SigCgt"].strip())',
    'print([(s, repr(signal.getsignal(s))) for s in range(1, signal.NSIG) if signal.getsignal(s) not in (None, signal.SIG_DFL)])',
  ].join('\n');
  const fresh = await oneShot.execute(spec('python', 'main.py', code));
  const r = await forked(spec('python', 'main.py', code));
  expect(fresh.status).toBe('ok');
  expect(r.status).toBe('ok');
  // SIGPIPE and SIGXFSZ ignored, SIGINT caught (default_int_handler), as CPython starts; SIGCHLD, which the
  // warm runtime ignores, back to its default.
  expect(fresh.run!.stdout).toBe("0000000000000000 0000000001001000 0000000000000002\n[(2, '<built-in function default_int_handler>'), (13, '<Handlers.SIG_IGN: 1>'), (25, '<Handlers.SIG_IGN: 1>')]\n");
  expect(r.run!.stdout).toBe(fresh.run!.stdout);
});

describe.each([
  ['forked', () => forking],
  ['one-shot', () => oneShot],
] as const)('a %s Python run', (_kind, engine) => {
  it('sees its source as reading the file in text mode gives it (CRLF and CR become LF); the file holds what was sent', async () => {
    const source = 's = """a\rb\r\nc"""\r\nprint(repr(s))\r\nprint(open(__file__, "rb").read().count(b"\\r"))\r\n';
    const r = await engine().execute(spec('python', 'main.py', source));
    expect(r.status).toBe('ok');
    expect(r.run!.stdout).toBe("'a\\nb\\nc'\n5\n");
  });

  it('reports sys.exit() with a message as CPython does: the message on stderr, exit status 1, atexit run', async () => {
    const r = await engine().execute(spec('python', 'main.py', 'import atexit, sys\natexit.register(print, "atexit")\nsys.exit(["bye"])\n'));
    expect(r.run).toMatchObject({ status: 'runtime_error', exitCode: 1, stdout: 'atexit\n', stderr: "['bye']\n" });
  });

  it('writes files at the top of /work and in new directories under it, which the program imports', async () => {
    const r = await engine().execute({
      ...spec('python', 'main.py', ''),
      files: [
        { name: 'main.py', content: 'import os, helper\nfrom pkg.sub import mod\nprint(helper.X, mod.Y, sorted(set(os.listdir("/work")) - {"__pycache__"}), open("pkg/sub/mod.py").read())' },
        { name: 'helper.py', content: 'X = 1\n' },
        { name: 'pkg/sub/mod.py', content: 'Y = "é"' },
      ],
    });
    expect(r.status).toBe('ok');
    expect(r.run!.stdout).toBe("1 é ['helper.py', 'main.py', 'pkg'] Y = \"é\"\n");
  });
});
