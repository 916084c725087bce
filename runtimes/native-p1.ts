import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { builtOnce } from './built-once';

const SOURCE = path.join(__dirname, 'bootstrap', 'p1.c');

/**
 * A Python run's pid 1 in C (runtimes/bootstrap/p1.c) as a shared object the forking runtime loads
 * with ctypes (python_zygote.py): built once per source version and cached in cacheDir.
 */
export function nativeP1(cacheDir: string): Buffer {
  return builtOnce(cacheDir, 'p1', SOURCE, 'so', "A Python run's native pid 1", (source, out) => {
    execFileSync('cc', ['-O2', '-shared', '-fPIC', '-o', out, source], { stdio: ['ignore', 'ignore', 'pipe'] });
  });
}
