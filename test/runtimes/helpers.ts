import fs from 'node:fs';
import type { RunSpec } from '../../runtimes';

let n = 0;
/** A run spec for one source file on x86_64 unless told otherwise. */
export function spec(language: string, name: string, content: string, extra: Partial<RunSpec> = {}): RunSpec {
  return { runId: `test-${process.pid}-${++n}`, language, hardwareClass: 'x86_64', files: [{ name, content }], ...extra };
}

/** Host pids (other than this test's) whose command line contains marker; the tests run as root and see every process. */
export function hostProcessesWith(marker: string): number[] {
  return fs
    .readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid)
    .filter((p) => {
      try {
        return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(marker);
      } catch {
        return false;
      }
    })
    .map(Number);
}
