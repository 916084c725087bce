import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { builtOnce } from './built-once';

const SOURCE = path.join(__dirname, 'seccomp', 'filter.c');

/**
 * The sandbox seccomp filter as a BPF program (docs/decisions/security-seccomp.md),
 * built from runtimes/seccomp/filter.c with libseccomp (Debian libseccomp-dev)
 * once per source version and cached in cacheDir. There is no fallback: a
 * machine that cannot build it cannot run sandboxes.
 */
export function seccompFilter(cacheDir: string): Buffer {
  return builtOnce(cacheDir, 'seccomp', SOURCE, 'bpf', 'The sandbox seccomp filter (with libseccomp-dev)', (source, out, bin) => {
    execFileSync('cc', ['-O2', '-o', bin, source, '-lseccomp'], { stdio: ['ignore', 'ignore', 'pipe'] });
    execFileSync(bin, [out], { stdio: ['ignore', 'ignore', 'pipe'] });
  });
}
