'use strict';
// Warm Node runtime: started before a run exists. Reads one code header from
// stdin (u32 length + JSON), writes the files into /work (transpiling
// TypeScript when CONVEYOR_TS is set) and runs the first one as the main module.
const fs = require('fs');
const path = require('path');
const Module = require('module');
const ts = process.env.CONVEYOR_TS ? require(process.env.CONVEYOR_TS) : null;
delete process.env.CONVEYOR_TS;
const tsOptions = { compilerOptions: { module: 1 /* CommonJS */, target: 9 /* ES2022 */, esModuleInterop: true, sourceMap: false }, reportDiagnostics: true };
if (ts) ts.transpileModule('const warm: number = 1; export default warm;', tsOptions);
const TS_COMPILE_ERROR_EXIT = 97;
const sleeper = new Int32Array(new SharedArrayBuffer(4));
function readExact(n) {
  const buf = Buffer.alloc(n);
  let off = 0;
  while (off < n) {
    let got;
    try {
      got = fs.readSync(0, buf, off, n - off, null);
    } catch (e) {
      if (e.code === 'EAGAIN') { Atomics.wait(sleeper, 0, 0, 2); continue; }
      throw e;
    }
    if (got === 0) process.exit(0);
    off += got;
  }
  return buf;
}
fs.writeSync(2, '\0conveyor-ready\n');
const spec = JSON.parse(readExact(readExact(4).readUInt32BE(0)).toString('utf8'));
let main = path.join('/work', spec.main);
for (const f of spec.files) {
  const p = path.join('/work', f.name);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, f.content);
  if (ts && /\.tsx?$/.test(f.name) && !f.name.endsWith('.d.ts')) {
    const js = p.replace(/\.tsx?$/, '.js');
    const out = ts.transpileModule(f.content, { ...tsOptions, fileName: f.name });
    // transpileModule repairs syntax errors silently; a person wants tsc's message instead.
    const errors = (out.diagnostics || []).filter((d) => d.category === 1);
    if (errors.length) {
      for (const d of errors) {
        const where = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : null;
        const msg = ts.flattenDiagnosticMessageText(d.messageText, '\n');
        fs.writeSync(2, `${f.name}${where ? `(${where.line + 1},${where.character + 1})` : ''}: error TS${d.code}: ${msg}\n`);
      }
      // The engine reads this exit code as "the transpiler refused the program": a compile error.
      process.exit(TS_COMPILE_ERROR_EXIT);
    }
    fs.writeFileSync(js, out.outputText);
    if (p === main) main = js;
  }
}
process.chdir('/work');
process.argv = [process.argv[0], main, ...spec.args];
Module.runMain();
