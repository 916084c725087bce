/**
 * Compiler and interpreter messages turned into positions in the session's
 * files: gcc/g++ and go (`file:line:col: …`), javac (`File.java:line: error:`
 * plus its caret line), rustc (`error[E…]: …` then ` --> file:line:col`),
 * tsc (`file(line,col): error TS…`), Python tracebacks and Node stack traces.
 * Pure: no DOM, so the unit spec feeds it real toolchain output.
 */
export type Severity = 'error' | 'warning' | 'info';
export interface Diagnostic { file: string; line: number; column: number | null; severity: Severity; message: string }
export interface SourceFile { name: string; content: string }

/** A path as a toolchain prints it (`/work/main.py`, `./main.go`) → the session file it names, if any. */
function sessionFile(printed: string, files: SourceFile[]): string | null {
  const base = printed.replace(/^.*[\\/]/, '');
  if (files.some((f) => f.name === base)) return base;
  // TypeScript runs as the JavaScript it was stripped to; its traces name main.js for main.ts.
  const ts = base.replace(/\.js$/, '.ts');
  if (ts !== base && files.some((f) => f.name === ts)) return ts;
  return null;
}

const severityOf = (word: string | undefined): Severity => (word === 'warning' ? 'warning' : word === 'note' || word === 'help' ? 'info' : 'error');

function gccLike(lines: string[], files: SourceFile[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  lines.forEach((l, i) => {
    const m = /^(.+?):(\d+)(?::(\d+))?: (?:(fatal error|error|warning|note): )?(.+)$/.exec(l);
    if (!m) return;
    const file = sessionFile(m[1]!, files);
    if (!file) return;
    let column = m[3] ? Number(m[3]) : null;
    // javac names no column; its caret line (two lines down) points at it.
    if (column === null) {
      const caret = lines[i + 2];
      if (caret && /^\s*\^\s*$/.test(caret)) column = caret.indexOf('^') + 1;
    }
    out.push({ file, line: Number(m[2]), column, severity: severityOf(m[4]), message: m[5]! });
  });
  return out;
}

function rustc(lines: string[], files: SourceFile[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  let header: { severity: Severity; message: string } | null = null;
  for (const l of lines) {
    const h = /^(error|warning)(?:\[(\w+)\])?: (.+)$/.exec(l);
    if (h) {
      header = { severity: severityOf(h[1]), message: h[2] ? `${h[3]} [${h[2]}]` : h[3]! };
      continue;
    }
    const at = /^\s*--> (.+?):(\d+):(\d+)$/.exec(l);
    if (at && header) {
      const file = sessionFile(at[1]!, files);
      if (file) out.push({ file, line: Number(at[2]), column: Number(at[3]), ...header });
      header = null;
    }
  }
  return out;
}

function tsc(lines: string[], files: SourceFile[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const l of lines) {
    const m = /^(.+?)\((\d+),(\d+)\): (error|warning) (TS\d+): (.+)$/.exec(l) ?? /^(.+?):(\d+):(\d+) - (error|warning) (TS\d+): (.+)$/.exec(l);
    const file = m && sessionFile(m[1]!, files);
    if (m && file) out.push({ file, line: Number(m[2]), column: Number(m[3]), severity: severityOf(m[4]), message: `${m[6]} [${m[5]}]` });
  }
  return out;
}

/** Column of a traceback marker (`^`, `~^^^`) under a source line that Python printed with its indentation stripped. */
function pythonColumn(lines: string[], at: number, original: string | undefined): number | null {
  const shown = lines[at + 1];
  const marker = lines[at + 2];
  if (shown === undefined || !marker || !/^\s*[~^]+\s*$/.test(marker)) return null;
  const shownIndent = shown.length - shown.trimStart().length;
  const originalIndent = original === undefined ? 0 : original.length - original.trimStart().length;
  return marker.search(/[~^]/) - shownIndent + originalIndent + 1;
}

function python(lines: string[], files: SourceFile[]): Diagnostic[] {
  let last: { file: string; line: number; index: number } | null = null;
  lines.forEach((l, index) => {
    const m = /^\s*File "(.+?)", line (\d+)/.exec(l);
    const file = m && sessionFile(m[1]!, files);
    if (m && file) last = { file, line: Number(m[2]), index };
  });
  const message = [...lines].reverse().find((l) => /^[A-Za-z_][\w.]*(: .*)?$/.test(l.trim()) && !l.startsWith(' '));
  if (!last || !message) return [];
  const at = last as { file: string; line: number; index: number };
  const original = files.find((f) => f.name === at.file)?.content.split('\n')[at.line - 1];
  return [{ file: at.file, line: at.line, column: pythonColumn(lines, at.index, original), severity: 'error', message: message.trim() }];
}

function node(lines: string[], files: SourceFile[]): Diagnostic[] {
  const message = lines.find((l) => /^([A-Z]\w*(Error|Exception)|Error)(\s\[\w+\])?: /.test(l) || /^Uncaught /.test(l));
  if (!message) return [];
  for (const l of lines) {
    const m = /^\s+at (?:.*? \()?(.+?):(\d+):(\d+)\)?$/.exec(l);
    const file = m && sessionFile(m[1]!, files);
    if (m && file) return [{ file, line: Number(m[2]), column: Number(m[3]), severity: 'error', message }];
  }
  // A syntax error has no frame in the program: Node prints `file:line`, the line, and a caret.
  for (let i = 0; i < lines.length; i++) {
    const m = /^(.+?):(\d+)$/.exec(lines[i]!);
    const file = m && sessionFile(m[1]!, files);
    if (!m || !file) continue;
    const caret = lines[i + 2];
    const column = caret && /^\s*\^+\s*$/.test(caret) ? caret.indexOf('^') + 1 : null;
    return [{ file, line: Number(m[2]), column, severity: 'error', message }];
  }
  return [];
}

const PARSERS: Record<string, ((lines: string[], files: SourceFile[]) => Diagnostic[])[]> = {
  c: [gccLike], 'c++': [gccLike], go: [gccLike], java: [gccLike], rust: [rustc],
  typescript: [tsc, node], javascript: [node], python: [python],
};

/** The diagnostics in one stage's output (stderr, then stdout), deduplicated, in the order they were printed. */
export function parseDiagnostics(language: string, output: string, files: SourceFile[]): Diagnostic[] {
  const lines = output.replace(/\x1b\[[0-9;]*m/g, '').split(/\r?\n/);
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  for (const parse of PARSERS[language] ?? [gccLike]) {
    for (const d of parse(lines, files)) {
      const key = `${d.file}:${d.line}:${d.column}:${d.message}`;
      if (!seen.has(key)) {
        seen.add(key);
        out.push(d);
      }
    }
  }
  return out;
}
