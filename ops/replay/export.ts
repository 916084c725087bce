import fs from 'node:fs';
import path from 'node:path';
import avro from 'avsc';
import type { Kafka } from 'kafkajs';
import { createRangeReader, type OffsetRange } from '../../stream-processors/replay/range-reader';
import { avroBodyOf, schemaIdOf, type Registry } from '../../topics/registry';
import { checkAvroBody } from '../../topics/avro-guard';
import { JobError, newJobId, pacer, resumeJob, saveJob, type JobRecord } from './jobs';

/**
 * `conveyor replay export`: a time range of any topic as files standard tools
 * read. Avro object container files (one per writer schema, so each file
 * carries the schema its records were written with, via avsc's block
 * encoder), JSON Lines (each record with topic, partition, offset, timestamp,
 * key and schema id), or Parquet (hyparquet-writer: one column per top-level
 * field, nested values as JSON text, plus _partition, _offset, _timestamp,
 * _key). Offsets come from offsets-for-times; records are read in offset
 * order per partition and written in parts of `partRecords` records (files
 * `<topic>.<from>.<to>.part-NNNN[.schema-ID].<format>`), so memory stays
 * bounded and a cancelled export (Ctrl-C) resumes after its last part.
 */
export type ExportFormat = 'avro' | 'jsonl' | 'parquet';
export const EXPORT_FORMATS: ExportFormat[] = ['avro', 'jsonl', 'parquet'];

export interface ExportedFile { file: string; records: number; schemaId: number | null }
export interface ExportOutcome { id: string; files: ExportedFile[]; records: number; skipped: number; manifest: string | null; cancelled: boolean; ms: number }

interface Rec { partition: number; offset: number; timestampMs: number; key: string | null; schemaId: number; value: Record<string, unknown> }

/** Where an export stands: the ranges fixed at its start, the next offset of each partition written, the files so far. */
export interface ExportProgress { ranges: OffsetRange[]; next: Record<number, number>; files: ExportedFile[]; records: number; skipped: number; parts: number; ms: number }

export interface ExportOptions {
  topic: string; fromMs: number; toMs: number; format: ExportFormat; outDir: string;
  operator?: string;
  /** Records per part (each part is a set of files, one per writer schema): bounds memory, and a resume repeats at most one part. Default 50,000. */
  partRecords?: number;
  /** Records read per second at most (default: no limit). */
  ratePerSecond?: number;
  /** Where job state lives (a cancelled export resumes from it). Default: no state file. */
  stateDir?: string;
  signal?: AbortSignal;
  /** After each part is on disk, with the records written so far. */
  onProgress?: (n: number) => void;
}

const jsonSafe = (_k: string, v: unknown) => (typeof v === 'bigint' ? Number(v) : v instanceof Buffer || (v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer') ? Buffer.from(v as Buffer).toString('base64') : v);

export const MAX_PART_RECORDS = 1_000_000;

/**
 * Exports a range; with `resume` (a job id printed when an export was
 * cancelled), goes on from the last part it wrote, with the ranges and
 * arguments the job started with.
 */
export async function exportTopic(kafka: Kafka, registry: Registry, o: ExportOptions, resume?: string): Promise<ExportOutcome> {
  const t0 = Date.now();
  const operator = o.operator ?? 'unknown';
  let job: JobRecord<ExportProgress>;
  if (resume) {
    if (!o.stateDir) throw new JobError('unknown_job', 'Resuming an export needs its state directory.');
    job = resumeJob<ExportProgress>(o.stateDir, resume, 'export', operator);
    const a = job.args as Pick<ExportOptions, 'topic' | 'fromMs' | 'toMs' | 'format' | 'outDir' | 'partRecords'>;
    o = { ...o, topic: a.topic, fromMs: a.fromMs, toMs: a.toMs, format: a.format, outDir: a.outDir, partRecords: a.partRecords };
  } else {
    if (!EXPORT_FORMATS.includes(o.format)) throw Object.assign(new Error(`--format must be one of ${EXPORT_FORMATS.join(', ')}.`), { code: 'invalid_format' });
    if (o.partRecords !== undefined && !(Number.isInteger(o.partRecords) && o.partRecords >= 1 && o.partRecords <= MAX_PART_RECORDS)) {
      throw Object.assign(new Error(`Records per part must be a whole number from 1 to ${MAX_PART_RECORDS}.`), { code: 'invalid_part_records' });
    }
    const admin = kafka.admin();
    await admin.connect();
    let ranges: OffsetRange[];
    try {
      if (!(await admin.listTopics()).includes(o.topic)) throw Object.assign(new Error(`Topic ${o.topic} does not exist.`), { code: 'unknown_topic' });
      const lo = new Map((await admin.fetchTopicOffsetsByTimestamp(o.topic, o.fromMs)).map((r) => [r.partition, Number(r.offset)]));
      const hi = new Map((await admin.fetchTopicOffsetsByTimestamp(o.topic, o.toMs + 1)).map((r) => [r.partition, Number(r.offset)]));
      ranges = [...lo].map(([p, from]) => ({ topic: o.topic, partition: p, from, to: hi.get(p) ?? from }));
    } finally {
      await admin.disconnect();
    }
    const now = Date.now();
    job = {
      id: newJobId('export'), kind: 'export', operator, startedAtMs: now, updatedAtMs: now, state: 'running',
      args: { topic: o.topic, fromMs: o.fromMs, toMs: o.toMs, format: o.format, outDir: path.resolve(o.outDir), partRecords: o.partRecords },
      progress: { ranges, next: {}, files: [], records: 0, skipped: 0, parts: 0, ms: 0 },
    };
  }
  const save = () => o.stateDir && saveJob(o.stateDir, job);
  save();
  const p = job.progress;
  const partRecords = o.partRecords ?? 50_000;
  fs.mkdirSync(o.outDir, { recursive: true });
  const stamp = (ms: number) => new Date(ms).toISOString().replace(/[:.]/g, '-');
  const base = path.join(o.outDir, `${o.topic}.${stamp(o.fromMs)}.${stamp(o.toMs)}`);

  const types = new Map<number, avro.Type>();
  let bySchema = new Map<number, Rec[]>();
  let buffered = 0;
  let skipped = 0;
  // Offsets handled but not yet in a written part: they count once the part is on disk.
  const pending: Record<number, number> = {};
  const writePart = async () => {
    if (buffered || skipped) {
      const part = `part-${String(p.parts + 1).padStart(4, '0')}`;
      if (o.format === 'jsonl') {
        const file = `${base}.${part}.jsonl`;
        const all = [...bySchema.values()].flat().sort((a, b) => a.partition - b.partition || a.offset - b.offset);
        if (all.length) {
          fs.writeFileSync(file, all.map((r) => JSON.stringify({ topic: o.topic, ...r }, jsonSafe)).join('\n') + '\n');
          p.files.push({ file, records: all.length, schemaId: null });
        }
      } else {
        for (const [id, recs] of bySchema) {
          recs.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
          const file = `${base}.${part}.schema-${id}.${o.format}`;
          if (o.format === 'avro') await writeAvro(file, types.get(id)!, recs);
          else await writeParquet(file, types.get(id)!, recs);
          p.files.push({ file, records: recs.length, schemaId: id });
        }
      }
      p.parts++;
      p.records += buffered;
      p.skipped += skipped;
    }
    Object.assign(p.next, pending);
    const wrote = buffered > 0;
    (bySchema = new Map()), (buffered = 0), (skipped = 0);
    save();
    if (wrote) o.onProgress?.(p.records);
  };

  const pace = pacer(o.ratePerSecond, o.signal);
  const reader = await createRangeReader(kafka, [o.topic]);
  let cancelled = false;
  try {
    const todo = p.ranges.map((r) => ({ ...r, from: Math.max(r.from, p.next[r.partition] ?? r.from) }));
    const r = await reader.read(todo, async (m, range) => {
      await pace();
      pending[range.partition] = Number(m.offset) + 1;
      const id = schemaIdOf(m.value);
      let value: Record<string, unknown> | null = null;
      if (id !== null && m.value) {
        let type = types.get(id);
        if (!type) {
          type = avro.Type.forSchema((await registry.schemaById(id)) as avro.Schema);
          types.set(id, type);
        }
        try {
          // A corrupted record is skipped like an unframed one, never decoded unchecked (topics/avro-guard.ts).
          checkAvroBody(await registry.schemaById(id), avroBodyOf(m.value));
          value = type.fromBuffer(avroBodyOf(m.value)) as Record<string, unknown>;
        } catch {
          value = null;
        }
      }
      if (!value || id === null) {
        skipped++;
      } else {
        const list = bySchema.get(id) ?? [];
        list.push({ partition: range.partition, offset: Number(m.offset), timestampMs: Number(m.timestamp), key: m.key?.toString() ?? null, schemaId: id, value });
        bySchema.set(id, list);
        buffered++;
      }
      if (buffered + skipped >= partRecords) await writePart();
    }, { timeoutMs: 600000, signal: o.signal });
    cancelled = r.cancelled;
    await writePart();
  } catch (err) {
    job.state = 'failed';
    save();
    throw err;
  } finally {
    await reader.close();
  }
  p.ms += Date.now() - t0;
  if (cancelled) {
    job.state = 'cancelled';
    save();
    return { id: job.id, files: p.files, records: p.records, skipped: p.skipped, manifest: null, cancelled: true, ms: p.ms };
  }
  // Who exported what: a manifest beside the files (operator, topic, range, format, files).
  const manifest = `${base}.${o.format}.manifest.json`;
  fs.writeFileSync(manifest, JSON.stringify({
    job: job.id, operator: job.operator, exportedAtMs: Date.now(), topic: o.topic, fromMs: o.fromMs, toMs: o.toMs, format: o.format,
    records: p.records, skipped: p.skipped, files: p.files.map((f) => ({ ...f, file: path.basename(f.file) })),
  }, null, 2));
  job.state = 'done';
  save();
  return { id: job.id, files: p.files, records: p.records, skipped: p.skipped, manifest, cancelled: false, ms: p.ms };
}

async function writeAvro(file: string, type: avro.Type, recs: Rec[]): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const enc = new avro.streams.BlockEncoder(type, { codec: 'deflate' });
    const out = fs.createWriteStream(file);
    enc.on('error', reject);
    out.on('error', reject);
    // The file stream, not the encoder, says when the bytes are on disk.
    out.on('finish', resolve);
    enc.pipe(out);
    for (const r of recs) enc.write(r.value);
    enc.end();
  });
}

async function writeParquet(file: string, type: avro.Type, recs: Rec[]): Promise<void> {
  // hyparquet-writer ships ES modules only.
  const { parquetWriteFile } = (await import('hyparquet-writer')) as unknown as { parquetWriteFile(o: { filename: string; columnData: { name: string; data: unknown[]; type?: string }[] }): void };
  const fields = ((type.schema() as { fields?: { name: string; type: unknown }[] }).fields ?? []);
  const columnOf = (t: unknown): string => (t === 'string' ? 'STRING' : t === 'boolean' ? 'BOOLEAN' : t === 'int' ? 'INT32' : t === 'double' || t === 'float' ? 'DOUBLE' : t === 'long' ? 'INT64' : (t as { type?: string })?.type === 'enum' ? 'STRING' : (t as { logicalType?: string })?.logicalType === 'timestamp-millis' ? 'TIMESTAMP' : 'JSON');
  const columnData = [
    { name: '_partition', data: recs.map((r) => r.partition), type: 'INT32' },
    { name: '_offset', data: recs.map((r) => BigInt(r.offset)), type: 'INT64' },
    { name: '_timestamp', data: recs.map((r) => new Date(r.timestampMs)), type: 'TIMESTAMP' },
    { name: '_key', data: recs.map((r) => r.key), type: 'STRING' },
    ...fields.map((f) => {
      const kind = columnOf(f.type);
      const data = recs.map((r) => {
        const v = r.value[f.name];
        if (kind === 'JSON') return JSON.stringify(v ?? null, jsonSafe);
        if (kind === 'INT64') return BigInt(Math.round(Number(v)));
        if (kind === 'TIMESTAMP') return new Date(Number(v));
        return v;
      });
      return { name: f.name, data, type: kind === 'JSON' ? 'STRING' : kind };
    }),
  ];
  parquetWriteFile({ filename: file, columnData });
}
