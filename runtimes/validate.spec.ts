import { LANGUAGES } from './languages';
import { resolveLimits } from './limits';
import { mergeFlags, resolveSpec, validateFileName } from './validate';
import type { RunSpec } from './types';

const spec = (extra: Partial<RunSpec> = {}): RunSpec => ({ runId: 'r1', language: 'cpp', hardwareClass: 'x86_64', files: [{ name: 'main.cpp', content: 'int main(){}' }], ...extra });
const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return 'no error';
};

describe('resolveSpec', () => {
  it('resolves aliases, defaults and merged flags', () => {
    const r = resolveSpec(spec({ compilerFlags: ['-O0', '-std=c++20', '-Wall'] }), ['x86_64']);
    expect(r.lang.id).toBe('c++');
    expect(r.depSet.name).toBe('cpp-gcc12-std');
    expect(r.flags).toEqual(['-O0', '-std=c++20', '-Wall']);
    expect(r.limits.run.wallMs).toBe(5000);
  });

  it.each([
    [{ language: 'brainfuck' }, 'unknown_language'],
    [{ version: '99' }, 'unknown_version'],
    [{ dependencySet: 'cpp-boost' }, 'unknown_dependency_set'],
    [{ hardwareClass: 'gpu' }, 'hardware_class_unavailable'],
    [{ hardwareClass: 'riscv' }, 'hardware_class_unavailable'],
    [{ compilerFlags: ['-o/etc/passwd'] }, 'flag_not_allowed'],
    [{ compilerFlags: ['-fplugin=x.so'] }, 'flag_not_allowed'],
    [{ compilerFlags: ['-Wl,--wrap=main'] }, 'flag_not_allowed'],
    [{ limits: { run: { wallMs: 10 ** 9 } } }, 'limit_exceeds_maximum'],
    [{ limits: { compile: { pids: 0 } } }, 'invalid_limit'],
    [{ files: [] }, 'invalid_files'],
    [{ files: [{ name: '../x.cpp', content: '' }] }, 'invalid_files'],
    [{ files: [{ name: 'a.cpp', content: '' }, { name: 'a.cpp', content: '' }] }, 'invalid_files'],
    [{ files: Array.from({ length: 33 }, (_, i) => ({ name: `f${i}.cpp`, content: '' })) }, 'invalid_files'],
    [{ files: [{ name: 'big.cpp', content: 'x'.repeat(1024 * 1024 + 1) }] }, 'invalid_files'],
    [{ runId: '' }, 'invalid_spec'],
  ] as [Partial<RunSpec>, string][])('rejects %j with %s', (extra, expected) => {
    expect(code(() => resolveSpec(spec(extra), ['x86_64', 'arm64']))).toBe(expected);
  });

  it('refuses a hardware class the executor does not serve', () => {
    expect(code(() => resolveSpec(spec({ hardwareClass: 'arm64' }), ['x86_64']))).toBe('hardware_class_unavailable');
    expect(code(() => resolveSpec(spec({ language: 'python', hardwareClass: 'arm64', files: [{ name: 'a.py', content: '' }] }), ['x86_64', 'arm64']))).toBe('hardware_class_unavailable');
  });
});

describe('file names', () => {
  it.each(['main.py', 'src/util.hpp', 'a_b-c.d+e'])('accepts %s', (n) => expect(validateFileName(n)).toBeNull());
  it.each(['..', '../a', 'a/../../b', '/abs', '.hidden', 'a//b', 'a b', 'a/b/c/d/e', ''])('refuses %j', (n) => expect(validateFileName(n)).not.toBeNull());
});

describe('flags and limits', () => {
  it('lets user flags replace defaults of the same family', () => {
    expect(mergeFlags(['-std=c++17', '-O2'], ['-O0'])).toEqual(['-std=c++17', '-O0']);
    expect(mergeFlags(['-Copt-level=1'], ['-Copt-level=3'])).toEqual(['-Copt-level=3']);
  });
  it('fills unspecified limits with defaults', () => {
    expect(resolveLimits('run', { memoryBytes: 64 * 1024 * 1024 })).toMatchObject({ memoryBytes: 64 * 1024 * 1024, wallMs: 5000 });
  });
});

describe('language table', () => {
  it('has unique ids and aliases and a default dependency set everywhere', () => {
    // The versions of one language share its id and aliases; no name belongs to two languages.
    const owner = new Map<string, string>();
    for (const l of LANGUAGES) for (const n of [l.id, ...l.aliases]) expect(owner.set(n, owner.get(n) ?? l.id).get(n)).toBe(l.id);
    const versions = LANGUAGES.map((l) => `${l.id} ${l.version}`);
    expect(new Set(versions).size).toBe(versions.length);
    const sets = LANGUAGES.flatMap((l) => l.dependencySets.map((d) => d.name));
    expect(new Set(sets).size).toBe(sets.length);
    for (const l of LANGUAGES) {
      expect(l.dependencySets.length).toBeGreaterThan(0);
      expect(Object.keys(l.toolchains)).toContain('x86_64');
      expect(l.compiled).toBe(!!Object.values(l.toolchains)[0]!.compile);
    }
  });
  it('resolves a version prefix to its toolchain and a dependency set to its version', () => {
    expect(resolveSpec({ runId: 'r', language: 'node', version: '22', hardwareClass: 'x86_64', files: [{ name: 'main.js', content: '' }] }, ['x86_64']).depSet.name).toBe('javascript-node22-std');
    expect(resolveSpec({ runId: 'r', language: 'js', hardwareClass: 'x86_64', files: [{ name: 'main.js', content: '' }] }, ['x86_64']).lang.version).toBe('20.20.2');
    expect(resolveSpec({ runId: 'r', language: 'js', dependencySet: 'javascript-node22-std', hardwareClass: 'x86_64', files: [{ name: 'main.js', content: '' }] }, ['x86_64']).lang.version).toBe('22.23.5');
    expect(() => resolveSpec({ runId: 'r', language: 'js', version: '21', hardwareClass: 'x86_64', files: [{ name: 'main.js', content: '' }] }, ['x86_64'])).toThrow(expect.objectContaining({ code: 'unknown_version' }));
  });
  it('offers the dependency sets named in the issue', () => {
    const sets = LANGUAGES.flatMap((l) => l.dependencySets.map((d) => d.name));
    expect(sets).toEqual(expect.arrayContaining(['python-3.11-std', 'python-3.11-sci', 'cpp-gcc12-std', 'cpp-gcc12-fmt']));
  });
});
