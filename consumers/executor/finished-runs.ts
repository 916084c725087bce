import type { RunResultRecord } from '../../topics/types';

/**
 * The results an executor remembers, so that a run asked for again (its
 * client resumed on another gateway) is answered with the same result instead
 * of running twice. Bounded twice: by count and by the bytes of the outputs
 * held (a result carries its whole output, up to the result topic's record
 * size, so 20,000 results of 1 MiB would be 20 GB); the oldest go first. A run
 * forgotten here and asked for again runs again: its client still gets one
 * answer (the gateway delivers the first per run id).
 */
export class FinishedRuns {
  private runs = new Map<string, { result: RunResultRecord; bytes: number }>();
  private held = 0;

  constructor(private readonly maxRuns: number, private readonly maxBytes: number) {}

  get(runId: string): RunResultRecord | undefined {
    return this.runs.get(runId)?.result;
  }

  has(runId: string): boolean {
    return this.runs.has(runId);
  }

  set(runId: string, result: RunResultRecord): void {
    this.delete(runId);
    const bytes = resultBytes(result);
    this.runs.set(runId, { result, bytes });
    this.held += bytes;
    while (this.runs.size > this.maxRuns || (this.held > this.maxBytes && this.runs.size > 1)) this.delete(this.runs.keys().next().value!);
  }

  get size(): number {
    return this.runs.size;
  }

  get bytes(): number {
    return this.held;
  }

  private delete(runId: string): void {
    const e = this.runs.get(runId);
    if (!e) return;
    this.runs.delete(runId);
    this.held -= e.bytes;
  }
}

/** What a result holds in memory, roughly: its outputs and message (UTF-16 in V8, so 2 bytes a character) plus the rest. */
export function resultBytes(r: RunResultRecord): number {
  const stage = (s: RunResultRecord['compile']) => (s ? s.stdout.length + s.stderr.length : 0);
  return 2 * (stage(r.compile) + stage(r.run) + (r.message?.length ?? 0)) + 1024;
}
