import { createRuntimeEngine, RuntimeError, type RuntimeEngine } from '../../runtimes';
import { spec } from './helpers';

// One engine for the file; tests run in order and share its pools and caches.
let engine: RuntimeEngine;
beforeAll(() => {
  engine = createRuntimeEngine({ poolSize: 1 });
});
afterAll(() => engine.close());

const hello: [string, string, string, string, string][] = [
  ['python', 'python-3.11-std', 'main.py', 'import sys\nprint("hello python", sys.version_info[:2] == (3, 11))', 'hello python True\n'],
  ['python', 'python-3.11-sci', 'main.py', 'import numpy as np, pandas as pd\nprint(int(np.arange(5).sum()), int(pd.DataFrame({"a": [1, 2, 3]})["a"].sum()))', '10 6\n'],
  ['javascript', 'javascript-node20-std', 'main.js', 'console.log("hello js", process.version.startsWith("v20"))', 'hello js true\n'],
  ['javascript', 'javascript-node22-std', 'main.js', 'console.log("hello js", process.version)', 'hello js v22.23.5\n'],
  ['typescript', 'typescript-node20-std', 'main.ts', 'const n: number = 6 * 7;\nconsole.log(`hello ts ${n}`);', 'hello ts 42\n'],
  ['c', 'c-gcc12-std', 'main.c', '#include <stdio.h>\n#include <math.h>\nint main(void){ printf("hello c %.0f\\n", sqrt(81.0)); return 0; }', 'hello c 9\n'],
  ['c++', 'cpp-gcc12-std', 'main.cpp', '#include <bits/stdc++.h>\nint main(){ std::vector<int> v{3,1,2}; std::sort(v.begin(), v.end()); std::cout << "hello c++ " << v[0] << v[2] << "\\n"; }', 'hello c++ 13\n'],
  ['c++', 'cpp-gcc12-fmt', 'main.cpp', '#include <fmt/core.h>\nint main(){ fmt::print("hello {} {}\\n", "fmt", 7); }', 'hello fmt 7\n'],
  ['go', 'go-std', 'main.go', 'package main\nimport ("fmt"; "strings")\nfunc main(){ fmt.Println("hello", strings.ToUpper("go")) }', 'hello GO\n'],
  ['rust', 'rust-std', 'main.rs', 'fn main(){ let v: Vec<u32> = (1..=4).collect(); println!("hello rust {}", v.iter().sum::<u32>()); }', 'hello rust 10\n'],
  ['java', 'java-17-std', 'Main.java', 'public class Main { public static void main(String[] a) { System.out.println("hello java " + (17 + 25)); } }', 'hello java 42\n'],
];

describe('hello world', () => {
  it.each(hello)('runs %s with %s', async (language, dependencySet, file, code, expected) => {
    // A comment unique to this run: a real compile, never a compile-cache hit.
    const nonce = `${language === 'python' ? '#' : '//'} ${process.pid}-${Date.now()}`;
    const r = await engine.execute(spec(language, file, `${code}\n${nonce}\n`, { dependencySet }));
    expect({ status: r.status, stdout: r.run?.stdout, stderr: r.run?.stderr }).toEqual({ status: 'ok', stdout: expected, stderr: '' });
    expect(r.dependencySet).toBe(dependencySet);
    // A correct program compiles silently: toolchain notices would reach every user's output.
    expect(r.cacheHit).toBe(false);
    expect(r.compile?.stderr ?? '').toBe('');
    expect(r.run!.exitCode).toBe(0);
    expect(r.run!.wallMs).toBeGreaterThan(0);
    expect(r.run!.peakMemoryBytes).toBeGreaterThan(0);
  });
});

describe('rust', () => {
  it('unwinds a panic across threads and reports the exit status of one that is not caught', async () => {
    // Programs link against the toolchain's libstd .so (languages.ts): unwinding, threads and the panic hook live there.
    const code = 'fn main(){ let r = std::thread::spawn(|| std::panic::catch_unwind(|| panic!("inner")).is_err()).join().unwrap(); println!("caught {}", r); let v: Vec<u8> = Vec::new(); println!("{}", v[3]); }';
    const r = await engine.execute(spec('rust', 'main.rs', `${code}\n// ${process.pid}-${Date.now()}\n`));
    expect({ status: r.status, stdout: r.run?.stdout, exitCode: r.run?.exitCode, compileStderr: r.compile?.stderr }).toEqual({ status: 'runtime_error', stdout: 'caught true\n', exitCode: 101, compileStderr: '' });
    expect(r.run?.stderr).toMatch(/panicked at main\.rs:1:.*\n.*index out of bounds: the len is 0 but the index is 3/);
  });
});

describe('stdin, args and files', () => {
  it('passes stdin and args to a pooled Python program', async () => {
    const r = await engine.execute(spec('py', 'main.py', 'import sys\nprint(sys.argv[1:], sys.stdin.read().split())', { stdin: 'a b\nc\n', args: ['x', 'y z'] }));
    expect(r.run?.stdout).toBe("['x', 'y z'] ['a', 'b', 'c']\n");
  });

  it('passes stdin and args to a compiled C++ program with several files', async () => {
    const r = await engine.execute({
      ...spec('cpp', 'main.cpp', '#include <iostream>\n#include "lib/twice.hpp"\nint main(int c, char** v){ int x; std::cin >> x; std::cout << twice(x) << " " << c - 1 << " " << v[1] << "\\n"; }'),
      files: [
        { name: 'main.cpp', content: '#include <iostream>\n#include "lib/twice.hpp"\nint main(int c, char** v){ int x; std::cin >> x; std::cout << twice(x) << " " << c - 1 << " " << v[1] << "\\n"; }' },
        { name: 'lib/twice.hpp', content: 'inline int twice(int x) { return 2 * x; }' },
      ],
      stdin: '21\n',
      args: ['first', 'second'],
    });
    expect(r.status).toBe('ok');
    expect(r.run?.stdout).toBe('42 2 first\n');
  });

  it('lets JavaScript require a second file and read its args', async () => {
    const r = await engine.execute({
      ...spec('js', 'main.js', ''),
      files: [
        { name: 'main.js', content: 'const { add } = require("./util"); console.log(add(2, 3), process.argv.slice(2).join(","), require.main === module);' },
        { name: 'util.js', content: 'exports.add = (a, b) => a + b;' },
      ],
      args: ['p', 'q'],
    });
    expect(r.run?.stdout).toBe('5 p,q true\n');
  });

  it('streams output chunks as they are produced, in order', async () => {
    const chunks: { stream: string; data: string; seq: number }[] = [];
    const r = await engine.execute(spec('python', 'main.py', 'import sys, time\nprint("one", flush=True)\ntime.sleep(0.2)\nprint("two", file=sys.stderr, flush=True)'), {
      onChunk: (c) => chunks.push(c),
    });
    expect(r.status).toBe('ok');
    expect(chunks.map((c) => [c.stream, c.data])).toEqual([
      ['stdout', 'one\n'],
      ['stderr', 'two\n'],
    ]);
    expect(chunks.map((c) => c.seq)).toEqual([0, 1]);
  });

  it('feeds interactive stdin through a handle', async () => {
    const handle = engine.start(spec('python', 'main.py', 'name = input()\nprint("hi " + name)'), { interactiveStdin: true });
    handle.write('ada\n');
    handle.endStdin();
    const r = await handle.result;
    expect(r.run?.stdout).toBe('hi ada\n');
  });
});

describe('hardware classes', () => {
  it.each([
    ['c', 'main.c'],
    ['c++', 'main.cpp'],
  ])('runs %s compiled for arm64 under emulation and reports aarch64', async (language, file) => {
    const code = '#include <stdio.h>\n#include <sys/utsname.h>\nint main(void){ struct utsname u; uname(&u); printf("%s %d\\n", u.machine, (int)sizeof(void*)); return 0; }';
    const r = await engine.execute(spec(language, file, code, { hardwareClass: 'arm64' }));
    expect(r.status).toBe('ok');
    expect(r.hardwareClass).toBe('arm64');
    expect(r.run?.stdout).toBe('aarch64 8\n');
  });

  it('refuses a class with no executor, and Python on arm64, with hardware_class_unavailable', () => {
    expect(() => engine.start(spec('python', 'main.py', 'print(1)', { hardwareClass: 'gpu' }))).toThrow(expect.objectContaining({ code: 'hardware_class_unavailable' }));
    expect(() => engine.start(spec('python', 'main.py', 'print(1)', { hardwareClass: 'arm64' }))).toThrow(expect.objectContaining({ code: 'hardware_class_unavailable' }));
    expect(() => engine.start(spec('python', 'main.py', 'print(1)', { hardwareClass: 'quantum' }))).toThrow(RuntimeError);
  });

  it('lists runtimes with their aliases, sets and classes', () => {
    const cpp = engine.runtimes().find((r) => r.language === 'c++')!;
    expect(cpp.aliases).toContain('cpp');
    expect(cpp.dependencySets).toEqual(['cpp-gcc12-std', 'cpp-gcc12-fmt']);
    expect(cpp.hardwareClasses).toEqual(['x86_64', 'arm64']);
    expect(engine.runtimes().find((r) => r.language === 'python')!.hardwareClasses).toEqual(['x86_64']);
  });
});

describe('bad input', () => {
  it('rejects an unknown language', () => {
    expect(() => engine.start(spec('cobol', 'main.cob', ''))).toThrow(expect.objectContaining({ code: 'unknown_language', message: 'Unknown language "cobol".' }));
  });
  it('rejects a flag outside the allow-list', () => {
    expect(() => engine.start(spec('c++', 'main.cpp', 'int main(){}', { compilerFlags: ['-fplugin=/tmp/evil.so'] }))).toThrow(expect.objectContaining({ code: 'flag_not_allowed' }));
  });
  it('rejects a limit above the maximum', () => {
    expect(() => engine.start(spec('python', 'main.py', '', { limits: { run: { memoryBytes: 64 * 1024 ** 3 } } }))).toThrow(expect.objectContaining({ code: 'limit_exceeds_maximum' }));
  });
  it('rejects file names that escape the work directory and unknown dependency sets', async () => {
    expect(() => engine.start(spec('python', '../x.py', ''))).toThrow(expect.objectContaining({ code: 'invalid_files' }));
    expect(() => engine.start(spec('python', '/etc/passwd', ''))).toThrow(expect.objectContaining({ code: 'invalid_files' }));
    await expect(engine.execute(spec('python', 'main.py', '', { dependencySet: 'python-3.11-ml' }))).rejects.toMatchObject({ code: 'unknown_dependency_set' });
  });
});
