import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Precompiled standard headers per (compiler, flags that change the PCH).
 * A PCH directory holds copies of <bits/stdc++.h> and <iostream> next to
 * their .gch, and goes first on the include path: gcc uses the .gch when the
 * header is the first include and the flags match, and silently falls back
 * to the identical copy otherwise, so a PCH never changes a program's meaning.
 */
const HEADERS = ['bits/stdc++.h', 'iostream'];
/** Flags that do not affect a PCH's validity and so do not split the key. */
const NEUTRAL = /^(-W|-w$|-pedantic|-l|-g$)/;

export function pchKey(compilerId: string, flags: string[]): string {
  const relevant = flags.filter((f) => !NEUTRAL.test(f));
  return crypto.createHash('sha256').update(JSON.stringify([compilerId, relevant])).digest('hex').slice(0, 24);
}

export class PchStore {
  private building = new Map<string, Promise<boolean>>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly root: string, private onError: (e: unknown) => void = () => undefined) {
    fs.mkdirSync(root, { recursive: true, mode: 0o755 });
  }

  /** The directory name if the PCH for these flags is built; otherwise starts building it in the background. */
  lookup(compiler: string, compilerId: string, flags: string[]): string | null {
    const key = pchKey(compilerId, flags);
    if (fs.existsSync(path.join(this.root, key, '.complete'))) return key;
    void this.build(compiler, compilerId, flags);
    return null;
  }

  /** Builds (once) and resolves true when the PCH exists. */
  build(compiler: string, compilerId: string, flags: string[]): Promise<boolean> {
    const key = pchKey(compilerId, flags);
    const dir = path.join(this.root, key);
    if (fs.existsSync(path.join(dir, '.complete'))) return Promise.resolve(true);
    let p = this.building.get(key);
    if (!p) {
      // One build at a time: PCH builds are CPU-heavy and must not starve runs.
      p = this.queue.then(() => this.buildNow(compiler, flags, dir)).catch((e) => (this.onError(e), false));
      this.queue = p;
      this.building.set(key, p);
    }
    return p;
  }

  private async buildNow(compiler: string, flags: string[], dir: string): Promise<boolean> {
    if (fs.existsSync(path.join(dir, '.complete'))) return true;
    const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
    const includeDirs = await this.systemIncludeDirs(compiler);
    for (const h of HEADERS) {
      const src = includeDirs.map((d) => path.join(d, h)).find((p) => fs.existsSync(p));
      if (!src) throw new Error(`${compiler}: cannot find <${h}>`);
      const dest = path.join(tmp, h);
      fs.mkdirSync(path.dirname(dest), { recursive: true, mode: 0o755 });
      fs.copyFileSync(src, dest);
      const pchFlags = flags.filter((f) => !/^-l/.test(f) && f !== '-static');
      await run(compiler, [...pchFlags, '-x', 'c++-header', src, '-o', dest + '.gch'], { timeout: 120_000 });
    }
    fs.writeFileSync(path.join(tmp, '.complete'), '');
    execChmod(tmp);
    try {
      fs.renameSync(tmp, dir);
    } catch {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
    return true;
  }

  private async systemIncludeDirs(compiler: string): Promise<string[]> {
    const r = await new Promise<string>((resolve) => {
      const child = execFile(compiler, ['-x', 'c++', '-E', '-v', '-'], (_e, _o, stderr) => resolve(String(stderr)));
      child.stdin?.end('');
    });
    const start = r.indexOf('#include <...> search starts here:');
    const end = r.indexOf('End of search list.');
    return r
      .slice(start, end)
      .split('\n')
      .slice(1)
      .map((l) => l.trim())
      .filter(Boolean);
  }
}

function execChmod(dir: string): void {
  fs.chmodSync(dir, 0o755);
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) execChmod(p);
    else fs.chmodSync(p, 0o644);
  }
}
