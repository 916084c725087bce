import fs from 'node:fs';
import path from 'node:path';
import avro from 'avsc';
import type { Kafka } from 'kafkajs';
import { createRangeReader, type OffsetRange } from '../../stream-processors/replay/range-reader';
import { avroBodyOf, schemaIdOf, type Registry } from '../../topics/registry';
import { checkAvroBody } from '../../topics/avro-guard';

/**
 * `conveyor replay export`: a time range of any topic as files standard tools
 * read. Avro object container files (one per writer schema, so each file
 * carries the schema its records were written with, via avsc's block
 * encoder), JSON Lines (each record with topic, partition, offset, timestamp,
 * key and schema id), or Parquet (hyparquet-writer: one column per top-level
 * field, nested values as JSON text, plus _partition, _offset, _timestamp,
 * _key). Offsets come from offsets-for-times; records are read in offset
 * order per partition.
 */
export type ExportFormat = 'avro' | 'jsonl' | 'parquet';
export const EXPORT_FORMATS: ExportFormat[] = ['avro', 'jsonl', 'parquet'];

export interface ExportedFile { file: string; records: number; schemaId: number | null }
export interface ExportOutcome { files: ExportedFile[]; records: number; skipped: number; manifest: string; ms: number }

interface Rec { partition: number; offset: number; timestampMs: number; key: string | null; schemaId: number; value: Record<string, unknown> }

const jsonSafe = (_k: string, v: unknown) => (typeof v === 'bigint' ? Number(v) : v instanceof Buffer || (v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer') ? Buffer.from(v as Buffer).toString('base64') : v);

export async function exportTopic(kafka: Kafka, registry: Registry, o: { topic: string; fromMs: number; toMs: number; format: ExportFormat; outDir: string; operator?: string; onProgress?: (n: number) => void }): Promise<ExportOutcome> {
  const t0 = Date.now();
  if (!EXPORT_FORMATS.includes(o.format)) throw Object.assign(new Error(`--format must be one of ${EXPORT_FORMATS.join(', ')}.`), { code: 'invalid_format' });
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
  const types = new Map<number, avro.Type>();
  const bySchema = new Map<number, Rec[]>();
  let skipped = 0;
  let records = 0;
  const reader = await createRangeReader(kafka, [o.topic]);
  try {
    await reader.read(ranges, async (m, r) => {
      const id = schemaIdOf(m.value);
      if (id === null || !m.value) {
        skipped++;
        return;
      }
      let type = types.get(id);
      if (!type) {
        type = avro.Type.forSchema((await registry.schemaById(id)) as avro.Schema);
        types.set(id, type);
      }
      let value: Record<string, unknown>;
      try {
        // A corrupted record is skipped like an unframed one, never decoded unchecked (topics/avro-guard.ts).
        checkAvroBody(await registry.schemaById(id), avroBodyOf(m.value));
        value = type.fromBuffer(avroBodyOf(m.value)) as Record<string, unknown>;
      } catch {
        skipped++;
        return;
      }
      const list = bySchema.get(id) ?? [];
      list.push({ partition: r.partition, offset: Number(m.offset), timestampMs: Number(m.timestamp), key: m.key?.toString() ?? null, schemaId: id, value });
      bySchema.set(id, list);
      if (++records % 10000 === 0) o.onProgress?.(records);
    }, { timeoutMs: 600000 });
  } finally {
    await reader.close();
  }
  fs.mkdirSync(o.outDir, { recursive: true });
  const stamp = (ms: number) => new Date(ms).toISOString().replace(/[:.]/g, '-');
  const base = path.join(o.outDir, `${o.topic}.${stamp(o.fromMs)}.${stamp(o.toMs)}`);
  const files: ExportedFile[] = [];
  if (o.format === 'jsonl') {
    const file = `${base}.jsonl`;
    const all = [...bySchema.values()].flat().sort((a, b) => a.partition - b.partition || a.offset - b.offset);
    fs.writeFileSync(file, all.map((r) => JSON.stringify({ topic: o.topic, ...r }, jsonSafe)).join('\n') + (all.length ? '\n' : ''));
    files.push({ file, records: all.length, schemaId: null });
  } else {
    for (const [id, recs] of bySchema) {
      recs.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
      const file = `${base}.schema-${id}.${o.format}`;
      if (o.format === 'avro') await writeAvro(file, types.get(id)!, recs);
      else await writeParquet(file, types.get(id)!, recs);
      files.push({ file, records: recs.length, schemaId: id });
    }
  }
  // Who exported what: a manifest beside the files (operator, topic, range, format, files).
  const manifest = `${base}.${o.format}.manifest.json`;
  fs.writeFileSync(manifest, JSON.stringify({ operator: o.operator ?? null, exportedAtMs: Date.now(), topic: o.topic, fromMs: o.fromMs, toMs: o.toMs, format: o.format, records, skipped, files: files.map((f) => ({ ...f, file: path.basename(f.file) })) }, null, 2));
  return { files, records, skipped, manifest, ms: Date.now() - t0 };
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
