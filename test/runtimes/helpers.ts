import type { RunSpec } from '../../runtimes';

let n = 0;
/** A run spec for one source file on x86_64 unless told otherwise. */
export function spec(language: string, name: string, content: string, extra: Partial<RunSpec> = {}): RunSpec {
  return { runId: `test-${process.pid}-${++n}`, language, hardwareClass: 'x86_64', files: [{ name, content }], ...extra };
}
