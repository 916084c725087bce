import type { RunResultRecord } from '../../topics/types';

/**
 * How a remembered result is held: encoded (the results topic's Avro, through
 * the registry). `encode` may answer undefined (no encoder yet): the result is
 * then held as it is.
 */
export interface ResultCodec {
  encode(r: RunResultRecord): Buffer | undefined;
  decode(b: Buffer): RunResultRecord | undefined;
}

/** Heap a remembered entry costs besides its encoded bytes: the map's slot, the run id, the string's header. */
const ENTRY_BYTES = 160;

/**
 * The results an executor remembers, so that a run asked for again (its
 * client resumed on another gateway) is answered with the same result instead
 * of running twice. Bounded twice: by count and by the bytes held (a result
 * carries its whole output, up to the result topic's record size, so 20,000
 * results of 1 MiB would be 20 GB); the oldest go first. A run forgotten here
 * and asked for again runs again: its client still gets one answer (the
 * gateway delivers the first per run id).
 *
 * Each result is held as one string of its encoded bytes (latin1: one byte a
 * character), not as the record's objects: 20,000 records (~10 objects and
 * ~1.3 KB of heap each) were most of what a long-lived executor's old
 * generation kept beyond its code, and every mark-compact traced them all; a
 * flat string is one object the collector never looks into. A run asked for
 * again (rare) is decoded then.
 */
export class FinishedRuns {
  private runs = new Map<string, string | RunResultRecord>();
  private total = 0;

  constructor(private readonly maxRuns: number, private readonly maxBytes: number, private readonly codec?: ResultCodec) {}

  get(runId: string): RunResultRecord | undefined {
    const held = this.runs.get(runId);
    if (typeof held !== 'string') return held;
    // A remembered result that cannot be read back would run again: the codec that wrote it decodes it.
    return this.codec!.decode(Buffer.from(held, 'latin1'));
  }

  has(runId: string): boolean {
    return this.runs.has(runId);
  }

  /** Remembers `result`; `encoded`, when given, is its bytes as published (the codec's encoding of it), held instead of encoding it again. */
  set(runId: string, result: RunResultRecord, encoded?: Buffer): void {
    this.delete(runId);
    encoded ??= this.codec?.encode(result);
    const held = encoded ? encoded.toString('latin1') : result;
    this.runs.set(runId, held);
    this.total += heldBytes(held);
    while (this.runs.size > this.maxRuns || (this.total > this.maxBytes && this.runs.size > 1)) this.delete(this.runs.keys().next().value!);
  }

  get size(): number {
    return this.runs.size;
  }

  get bytes(): number {
    return this.total;
  }

  private delete(runId: string): void {
    const held = this.runs.get(runId);
    if (held === undefined) return;
    this.runs.delete(runId);
    this.total -= heldBytes(held);
  }
}

const heldBytes = (held: string | RunResultRecord) => (typeof held === 'string' ? held.length + ENTRY_BYTES : resultBytes(held));

/** What a result held as objects costs in memory, roughly: its outputs and message (UTF-16 in V8, so 2 bytes a character) plus the rest. */
export function resultBytes(r: RunResultRecord): number {
  const stage = (s: RunResultRecord['compile']) => (s ? s.stdout.length + s.stderr.length : 0);
  return 2 * (stage(r.compile) + stage(r.run) + (r.message?.length ?? 0)) + 1024;
}
