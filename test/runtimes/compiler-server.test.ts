import fs from 'node:fs';
import { createRuntimeEngine, type RuntimeEngine } from '../../runtimes';
import { sleep } from '../../topics/ground/retry';
import { hostProcessesWith, spec } from './helpers';

// The warm Java compiler (docs/decisions/runtimes-compiler-server.md) on the real
// engine: each test checks the server's counters, so a compile that fell back to a
// sandboxed javac cannot pass for one the server answered.
let engine: RuntimeEngine;
const KEY = 'java:java-17-std';
const NONCE = `${process.pid}-${Date.now()}`;
beforeAll(async () => {
  engine = createRuntimeEngine({ poolSize: 1, compilerServers: ['java'] });
  await engine.warm(['java']);
}, 180_000);
afterAll(() => engine.close());

const stats = () => engine.stats().compilers![KEY]!;
const main = (body: string, extra = '') => `${extra}\npublic class Main { public static void main(String[] a) throws Exception { ${body} } } // ${NONCE} ${Math.random()}`;
const java = (files: { name: string; content: string }[], extra = {}) => ({ ...spec('java', 'Main.java', ''), files, ...extra });

async function served<T>(f: () => Promise<T>): Promise<T> {
  await engine.warm(['java']);
  const before = stats().compiles;
  const r = await f();
  expect(stats().compiles).toBe(before + 1);
  return r;
}

/** A program javac needs seconds for: many methods, each with some arithmetic. */
const big = (n: number) => main('System.out.println(1);', `class Big${Math.random().toString(36).slice(2)} {\n${Array.from({ length: n }, (_, i) => `  static long m${i}(long x) { long y = x * ${i} + ${i}; for (int k = 0; k < 3; k++) y ^= (y << 3) + k; return y; }`).join('\n')}\n}`);

describe('Java compiler server', () => {
  it('compiles on the warm server and runs the program', async () => {
    const r = await served(() => engine.execute(spec('java', 'Main.java', main('System.out.println("hello " + a.length);'), { args: ['x'] })));
    expect(r).toMatchObject({ status: 'ok', compile: { status: 'ok' }, run: { status: 'ok', stdout: 'hello 1\n' } });
  });

  it('reports javac’s diagnostics as compile_error with the file and line', async () => {
    const r = await served(() => engine.execute(spec('java', 'Main.java', main('int x = "s";'))));
    expect(r).toMatchObject({ status: 'compile_error', message: 'Compilation failed.' });
    expect(r.compile!.stderr).toMatch(/Main\.java:2: error: incompatible types: String cannot be converted to int/);
    expect(r.run).toBeUndefined();
  });

  it('gives a compile no way to another compile’s sources or classes', async () => {
    const secret = `Secret${process.pid}`;
    const first = await served(() =>
      engine.execute(java([{ name: 'Main.java', content: main(`System.out.println(${secret}.V);`) }, { name: `${secret}.java`, content: `class ${secret} { static String V = "s3cr3t"; }` }])),
    );
    expect(first.run!.stdout).toBe('s3cr3t\n');
    // The server compiled that class a moment ago; a later compile cannot name it, nor find its source.
    const named = await served(() => engine.execute(spec('java', 'Main.java', main(`System.out.println(${secret}.V);`))));
    expect(named.status).toBe('compile_error');
    expect(named.compile!.stderr).toMatch(new RegExp(`cannot find symbol[\\s\\S]*${secret}`));
    // Its own run sees only its own classes, and cannot load the other's.
    const own = await served(() =>
      engine.execute(spec('java', 'Main.java', main(`System.out.println(String.join(",", new java.io.File("/prog").list())); try { Class.forName("${secret}"); System.out.println("found"); } catch (ClassNotFoundException e) { System.out.println("absent"); }`))),
    );
    expect(own.run).toMatchObject({ status: 'ok', stdout: 'Main.class\nabsent\n' });
  });

  it('answers a compile past its wall limit with time_limit, and a later compile is served by a fresh server', async () => {
    const starts = stats().starts;
    const r = await engine.execute(spec('java', 'Main.java', big(6000), { limits: { compile: { wallMs: 200 } } }));
    expect(r).toMatchObject({ status: 'time_limit', message: 'Compilation stopped: time limit.', compile: { status: 'time_limit' } });
    const next = await served(() => engine.execute(spec('java', 'Main.java', main('System.out.println("after");'))));
    expect(next.run!.stdout).toBe('after\n');
    expect(stats().starts).toBe(starts + 1);
  });

  it('answers a compile whose server crashed under it (compiled in a sandbox instead), and serves the next one', async () => {
    await engine.warm(['java']);
    const crashes = stats().crashes;
    const compiles = stats().compiles;
    const running = engine.execute(spec('java', 'Main.java', big(8000), { limits: { compile: { wallMs: 60_000, cpuMs: 60_000 } } }));
    await sleep(300);
    const jvms = hostProcessesWith('/boot/CompileServer.java').filter((p) => fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').startsWith('/usr/lib/jvm'));
    expect(jvms.length).toBeGreaterThan(0);
    for (const pid of jvms) process.kill(pid, 'SIGKILL');
    const r = await running;
    expect(r).toMatchObject({ status: 'ok', compile: { status: 'ok' }, run: { stdout: '1\n' } });
    expect(stats()).toMatchObject({ crashes: crashes + 1, compiles });
    const next = await served(() => engine.execute(spec('java', 'Main.java', main('System.out.println("recovered");'))));
    expect(next.run!.stdout).toBe('recovered\n');
  });

  it('keeps the compile stage’s own limits: output and file size on the server, memory below its footprint in a sandbox', async () => {
    const errors = Array.from({ length: 60 }, (_, i) => `int v${i} = "s";`).join(' ');
    const flood = await served(() => engine.execute(spec('java', 'Main.java', main(errors), { limits: { compile: { outputBytes: 300 } } })));
    expect(flood).toMatchObject({ status: 'output_limit', compile: { status: 'output_limit', stderrTruncated: true } });
    expect(Buffer.byteLength(flood.compile!.stderr)).toBeLessThanOrEqual(300);
    const wide = await served(() => engine.execute(spec('java', 'Main.java', main(`String s = "${'x'.repeat(20000)}"; System.out.println(s.length());`), { limits: { compile: { fileBytes: 8192 } } })));
    expect(wide.status).toBe('compile_error');
    expect(wide.compile!.stderr).toMatch(/Main\.class is larger than the file size limit of 8192 bytes/);
    const fallbacks = stats().fallbacks;
    const small = await engine.execute(spec('java', 'Main.java', main('System.out.println("small");'), { limits: { compile: { memoryBytes: 512 * 1024 * 1024 } } }));
    expect(small.run!.stdout).toBe('small\n');
    expect(stats().fallbacks).toBe(fallbacks + 1);
  });
});
