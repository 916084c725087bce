import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { builtOnce } from './built-once';

const SOURCE = path.join(__dirname, 'bootstrap', 'p1.c');
const REAPER_SOURCE = path.join(__dirname, 'bootstrap', 'p1_reaper.c');

/** A Python run's pid 1 in C: its set-up and fork (loaded by the forking runtime) and the reaper it execs. */
export interface NativeP1 {
  /** runtimes/bootstrap/p1.c, a shared object the forking runtime loads with ctypes (python_zygote.py). */
  so: Buffer;
  /** runtimes/bootstrap/p1_reaper.c, static and without a C library: P1 execs it once the program is forked. */
  reaper: Buffer;
}

/** Both built once per source version and cached in cacheDir. */
export function nativeP1(cacheDir: string): NativeP1 {
  const cc = (args: string[]) => execFileSync('cc', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  return {
    so: builtOnce(cacheDir, 'p1', SOURCE, 'so', "A Python run's native pid 1", (source, out) => cc(['-O2', '-shared', '-fPIC', '-o', out, source])),
    reaper: builtOnce(cacheDir, 'p1-reaper', REAPER_SOURCE, 'bin', "A Python run's pid 1 reaper", (source, out) =>
      // No libc (its static start-up made the exec ~4x dearer); nothing may turn memset's loop into a call to memset.
      cc(['-O2', '-static', '-nostdlib', '-ffreestanding', '-fno-stack-protector', '-fno-tree-loop-distribute-patterns', '-fno-pie', '-no-pie', '-o', out, source]),
    ),
  };
}
