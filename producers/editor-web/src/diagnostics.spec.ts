import fs from 'node:fs';
import path from 'node:path';
import { parseDiagnostics } from './diagnostics';

// Every fixture is the real output of the real toolchain: captured through the pipeline
// (POST /api/v1/runs, the sandboxed gcc 12, rustc, go, javac, CPython 3.11, Node 20), and
// tsc 5.9 from node_modules for the type checker the runtime does not run.
const fixture = (name: string) => fs.readFileSync(path.join(__dirname, 'fixtures', `${name}.txt`), 'utf8');
const only = (name: string, content = '') => [{ name, content }];

describe('inline diagnostics from real toolchain output', () => {
  it('reads gcc: line, column and message; notes and "In function" lines are not errors', () => {
    expect(parseDiagnostics('c', fixture('c'), only('main.c'))).toEqual([
      { file: 'main.c', line: 5, column: 5, severity: 'error', message: 'expected ‘,’ or ‘;’ before ‘printf’' },
    ]);
  });

  it('reads g++ with two errors in order', () => {
    const d = parseDiagnostics('c++', fixture('c++'), only('main.cpp'));
    expect(d.map((x) => [x.line, x.column, x.severity])).toEqual([[4, 18, 'error'], [5, 13, 'error']]);
    expect(d[0]!.message).toBe('‘undefined_name’ was not declared in this scope');
  });

  it('reads rustc: the header message with its code, the position from the --> line', () => {
    const d = parseDiagnostics('rust', fixture('rust'), only('main.rs'));
    expect(d).toEqual([
      { file: 'main.rs', line: 3, column: 20, severity: 'error', message: 'cannot find value `y` in this scope [E0425]' },
      { file: 'main.rs', line: 2, column: 18, severity: 'error', message: 'mismatched types [E0308]' },
    ]);
  });

  it('reads go: three errors at their columns', () => {
    const d = parseDiagnostics('go', fixture('go'), only('main.go'));
    expect(d.map((x) => `${x.line}:${x.column} ${x.message}`)).toEqual([
      '6:6 declared and not used: x',
      '6:14 cannot use "text" (untyped string constant) as int value in variable declaration',
      '7:14 undefined: y',
    ]);
  });

  it('reads javac: the column comes from the caret line', () => {
    expect(parseDiagnostics('java', fixture('java'), only('Main.java'))).toEqual([
      { file: 'Main.java', line: 4, column: 30, severity: 'error', message: "';' expected" },
    ]);
  });

  it('reads tsc in its plain format', () => {
    const d = parseDiagnostics('typescript', fixture('typescript-tsc'), only('main.ts'));
    expect(d.map((x) => [x.line, x.column])).toEqual([[1, 7], [3, 12]]);
    expect(d[1]!.message).toBe("Property 'lenght' does not exist on type 'string'. Did you mean 'length'? [TS2551]");
  });

  it('maps a TypeScript runtime error in main.js to main.ts', () => {
    expect(parseDiagnostics('typescript', fixture('typescript'), only('main.ts'))).toEqual([
      { file: 'main.ts', line: 2, column: 13, severity: 'error', message: 'ReferenceError: missing is not defined' },
    ]);
  });

  it('reads a Python traceback: the innermost frame of the program, not the boot script', () => {
    const src = 'def f(d):\n    return d["key"]\n\nprint(f({}))\n';
    expect(parseDiagnostics('python', fixture('python'), only('main.py', src))).toEqual([
      { file: 'main.py', line: 2, column: 12, severity: 'error', message: "KeyError: 'key'" },
    ]);
  });

  it('reads a Python syntax error raised while the boot script compiles the program', () => {
    const src = 'print("ok")\nif True\n    pass\n';
    expect(parseDiagnostics('python', fixture('python-syntax'), only('main.py', src))).toEqual([
      { file: 'main.py', line: 2, column: 8, severity: 'error', message: "SyntaxError: expected ':'" },
    ]);
  });

  it('reads a Node stack trace: the first frame in the program', () => {
    expect(parseDiagnostics('javascript', fixture('javascript'), only('main.js'))).toEqual([
      { file: 'main.js', line: 2, column: 3, severity: 'error', message: 'ReferenceError: notDefined is not defined' },
    ]);
  });

  it('reads a Node syntax error from its file:line header and caret', () => {
    expect(parseDiagnostics('javascript', fixture('javascript-syntax'), only('main.js'))).toEqual([
      { file: 'main.js', line: 2, column: 11, severity: 'error', message: "SyntaxError: Unexpected token ';'" },
    ]);
  });

  it('finds nothing in output that names no file of the session', () => {
    expect(parseDiagnostics('c', fixture('c'), only('other.c'))).toEqual([]);
    expect(parseDiagnostics('python', 'hello\nworld\n', only('main.py'))).toEqual([]);
  });
});
