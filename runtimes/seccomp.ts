import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const SOURCE = path.join(__dirname, 'seccomp', 'filter.c');

/**
 * The sandbox seccomp filter as a BPF program (docs/decisions/security-seccomp.md),
 * built from runtimes/seccomp/filter.c with libseccomp (Debian libseccomp-dev)
 * once per source version and cached in cacheDir. There is no fallback: a
 * machine that cannot build it cannot run sandboxes.
 */
export function seccompFilter(cacheDir: string): Buffer {
  const source = fs.readFileSync(SOURCE);
  const hash = createHash('sha256').update(source).update(process.arch).digest('hex').slice(0, 16);
  const dir = path.join(cacheDir, 'seccomp');
  const bpf = path.join(dir, `filter-${hash}.bpf`);
  if (fs.existsSync(bpf)) return fs.readFileSync(bpf);
  fs.mkdirSync(dir, { recursive: true });
  const bin = path.join(dir, `filter-${hash}-${process.pid}`);
  const tmp = `${bpf}.${process.pid}`;
  try {
    execFileSync('cc', ['-O2', '-o', bin, SOURCE, '-lseccomp'], { stdio: ['ignore', 'ignore', 'pipe'] });
    execFileSync(bin, [tmp], { stdio: ['ignore', 'ignore', 'pipe'] });
    fs.renameSync(tmp, bpf);
  } catch (e) {
    const stderr = (e as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`The sandbox seccomp filter cannot be built (needs cc and libseccomp-dev; run npm run setup): ${stderr || (e as Error).message}`);
  } finally {
    fs.rmSync(bin, { force: true });
    fs.rmSync(tmp, { force: true });
  }
  return fs.readFileSync(bpf);
}
