import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import avro from 'avsc';
import { exportTopic } from '../../ops/replay/export';
import type { JobRecord } from '../../ops/replay/jobs';
import { topics } from '../../topics/catalog';
import { createTypedProducer } from '../../topics/codec';
import type { EditEvent } from '../../topics/types';
import { editEvent, tmpDir } from '../analytics/fixtures';
import { paths } from '../../topics/ground/paths';
import { realInfra } from '../support/infra';

const { kafka, registry } = realInfra('replay-export-test');

/** Every record of an Avro object container file, read by avsc's own file decoder with the schema the file carries. */
function readContainer(file: string): Promise<{ schema: unknown; records: Record<string, unknown>[] }> {
  return new Promise((resolve, reject) => {
    const records: Record<string, unknown>[] = [];
    let schema: unknown;
    avro.createFileDecoder(file)
      .on('metadata', (type: avro.Type) => { schema = type.schema(); })
      .on('data', (r: Record<string, unknown>) => records.push(r))
      .on('end', () => resolve({ schema, records }))
      .on('error', reject);
  });
}

/**
 * Every record of Avro container files as Python's fastavro reads them (an
 * implementation that shares no code with avsc, which wrote them), with the
 * writer schema's name; installed by ops/setup/steps/55-test-fastavro.sh.
 */
function readWithFastavro(files: string[]): { schemas: string[]; records: Record<string, unknown>[] } {
  const python = path.join(paths().cache, 'test-tools', 'fastavro', 'bin', 'python3');
  const script = [
    'import datetime, json, sys, fastavro',
    'out = {"schemas": [], "records": []}',
    'for name in sys.argv[1:]:',
    '    with open(name, "rb") as f:',
    '        r = fastavro.reader(f)',
    '        out["schemas"].append(r.writer_schema["name"])',
    '        out["records"].extend(r)',
    'ms = lambda v: int(v.timestamp() * 1000) if isinstance(v, datetime.datetime) else str(v)',
    'print(json.dumps(out, default=ms))',
  ].join('\n');
  const r = spawnSync(python, ['-c', script, ...files], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`fastavro could not read the export (${python}): ${r.error?.message ?? r.stderr}`);
  return JSON.parse(r.stdout);
}

/** Rows of a Parquet file as hyparquet (which shares no code with hyparquet-writer's encoder path) decodes them. */
async function readParquet(file: string): Promise<{ columns: string[]; rows: Record<string, unknown>[] }> {
  const { parquetMetadata, parquetReadObjects } = await import('hyparquet');
  const bytes = fs.readFileSync(file);
  const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const meta = parquetMetadata(buf);
  return { columns: meta.schema.slice(1).map((c) => c.name), rows: await parquetReadObjects({ file: buf }) };
}

/** n edit events of a fresh prefix over `sessions` sessions on editor.edits, with the time range that holds them. */
async function produceEdits(tag: string, n: number, sessions: number): Promise<{ prefix: string; events: EditEvent[]; fromMs: number; toMs: number }> {
  const prefix = `${tag}${randomUUID().slice(0, 8)}`;
  const producer = await createTypedProducer(kafka, registry);
  const fromMs = Date.now();
  const events: EditEvent[] = Array.from({ length: n }, (_, i) => ({ ...editEvent(prefix, i, fromMs + i), sessionId: `${prefix}-s${i % sessions}` }));
  await producer.send(topics.edits, events.map((e) => ({ key: e.sessionId, value: e })));
  await producer.disconnect();
  return { prefix, events, fromMs, toMs: Date.now() };
}

describe('export', () => {
  it('writes a time range of a topic as Avro container files that an independent reader reads back with the same records', async () => {
    const { prefix, events, fromMs, toMs } = await produceEdits('ex', 40, 4);
    const out = tmpDir('replay-export');
    const r = await exportTopic(kafka, registry, { topic: topics.edits.name, fromMs, toMs, format: 'avro', outDir: out, operator: 'tester (operator token abc)' });
    expect(r.files.length).toBeGreaterThanOrEqual(1);
    // Who exported what is written beside the files.
    expect(JSON.parse(fs.readFileSync(r.manifest!, 'utf8'))).toMatchObject({
      operator: 'tester (operator token abc)', topic: topics.edits.name, fromMs, toMs, format: 'avro', records: r.records, files: r.files.map((f) => ({ file: path.basename(f.file), records: f.records, schemaId: f.schemaId })),
    });
    const read = (await Promise.all(r.files.map((f) => readContainer(f.file))));
    expect((read[0]!.schema as { name: string }).name).toMatch(/EditEvent$/);
    const mine = read.flatMap((x) => x.records).filter((x) => String(x.eventId).startsWith(prefix));
    const byId = (a: { eventId: unknown }, b: { eventId: unknown }) => String(a.eventId).localeCompare(String(b.eventId));
    const normal = (x: Record<string, unknown>) => JSON.parse(JSON.stringify({ ...x, timestampMs: Number(x.timestampMs instanceof Date ? x.timestampMs.getTime() : x.timestampMs) }));
    expect(mine.map(normal).sort(byId)).toEqual(events.map((e) => normal({ ...e })).sort(byId));

    // The same files through an independent Avro implementation: Python's fastavro.
    const py = readWithFastavro(r.files.map((f) => f.file));
    expect(py.schemas.every((n) => n.endsWith('EditEvent'))).toBe(true);
    const pyMine = py.records.filter((x) => String(x.eventId).startsWith(prefix));
    expect(pyMine.map(normal).sort(byId)).toEqual(events.map((e) => normal({ ...e })).sort(byId));

    const jsonl = await exportTopic(kafka, registry, { topic: topics.edits.name, fromMs, toMs, format: 'jsonl', outDir: out });
    const lines = fs.readFileSync(jsonl.files[0]!.file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.filter((l) => String(l.value.eventId).startsWith(prefix))).toHaveLength(40);
    expect(lines[0]).toMatchObject({ topic: topics.edits.name, partition: expect.any(Number), offset: expect.any(Number), schemaId: expect.any(Number) });
    await expect(exportTopic(kafka, registry, { topic: 'no.such.topic', fromMs, toMs, format: 'avro', outDir: out })).rejects.toMatchObject({ code: 'unknown_topic' });
  });

  it('writes a time range as Parquet that hyparquet reads back with the same records, one column per field plus the record position', async () => {
    const { prefix, events, fromMs, toMs } = await produceEdits('pq', 30, 3);
    const r = await exportTopic(kafka, registry, { topic: topics.edits.name, fromMs, toMs, format: 'parquet', outDir: tmpDir('replay-export-parquet') });
    expect(r.files.length).toBeGreaterThanOrEqual(1);
    const read = await Promise.all(r.files.map((f) => readParquet(f.file)));
    expect(read[0]!.columns).toEqual(['_partition', '_offset', '_timestamp', '_key', 'eventId', 'sessionId', 'userId', 'timestampMs', 'kind', 'language', 'dependencySet', 'hardwareClass', 'baseVersion', 'version', 'files', 'ops', 'textBytes']);
    expect(read.reduce((n, f) => n + f.rows.length, 0)).toBe(r.records);
    const mine = read.flatMap((f) => f.rows).filter((x) => String(x.eventId).startsWith(prefix));
    // An INT64 column decodes as a bigint, a TIMESTAMP column as a Date.
    const millis = (v: unknown) => (v instanceof Date ? v.getTime() : Number(v));
    const asEvent = (x: Record<string, unknown>): EditEvent => ({
      eventId: String(x.eventId), sessionId: String(x.sessionId), userId: String(x.userId), timestampMs: millis(x.timestampMs), kind: x.kind as EditEvent['kind'],
      language: String(x.language), dependencySet: String(x.dependencySet), hardwareClass: String(x.hardwareClass), baseVersion: Number(x.baseVersion), version: Number(x.version),
      files: JSON.parse(String(x.files)), ops: JSON.parse(String(x.ops)), textBytes: Number(x.textBytes),
    });
    const byId = (a: EditEvent, b: EditEvent) => a.eventId.localeCompare(b.eventId);
    expect(mine.map(asEvent).sort(byId)).toEqual([...events].sort(byId));
    // Each row keeps its record's place in the log: the key and, per partition, rising offsets.
    for (const x of mine) expect(x._key).toBe(x.sessionId);
    const offsets = mine.filter((x) => x._partition === mine[0]!._partition).map((x) => Number(x._offset));
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
  });

  it('stops at Ctrl-C after the part in hand and resumes from there: every record once, the job and its operators recorded', async () => {
    const { prefix, events, fromMs, toMs } = await produceEdits('xr', 45, 5);
    const out = tmpDir('replay-export-resume');
    const stateDir = tmpDir('replay-export-state');
    const abort = new AbortController();
    const first = await exportTopic(kafka, registry, {
      topic: topics.edits.name, fromMs, toMs, format: 'jsonl', outDir: out, partRecords: 10, stateDir, signal: abort.signal, operator: 'first (operator token aaa)',
      onProgress: () => abort.abort(),
    });
    expect(first).toMatchObject({ cancelled: true, manifest: null, records: 10 });
    const saved = JSON.parse(fs.readFileSync(path.join(stateDir, 'replay-jobs', `${first.id}.json`), 'utf8')) as JobRecord<{ files: unknown[] }>;
    expect(saved).toMatchObject({ kind: 'export', state: 'cancelled', operator: 'first (operator token aaa)' });
    expect(saved.progress.files).toHaveLength(1);

    // The resumed job keeps its own topic, range and directory; the arguments given now are not used.
    const rest = await exportTopic(kafka, registry, { topic: 'ignored', fromMs: 0, toMs: 0, format: 'avro', outDir: tmpDir('unused'), stateDir, operator: 'second (operator token bbb)', partRecords: 10 }, first.id);
    expect(rest).toMatchObject({ id: first.id, cancelled: false, records: 45 });
    expect(rest.files.length).toBeGreaterThanOrEqual(5);
    const lines = rest.files.flatMap((f) => fs.readFileSync(f.file, 'utf8').trim().split('\n').map((l) => JSON.parse(l)));
    const mine = lines.filter((l) => String(l.value.eventId).startsWith(prefix)).map((l) => String(l.value.eventId));
    // Nothing twice, nothing missing, across the cancel.
    expect(mine.sort()).toEqual(events.map((e) => e.eventId).sort());
    expect(new Set(lines.map((l) => `${l.partition}:${l.offset}`)).size).toBe(lines.length);
    expect(JSON.parse(fs.readFileSync(rest.manifest!, 'utf8'))).toMatchObject({ job: first.id, operator: 'first (operator token aaa), resumed by second (operator token bbb)', records: 45 });
    await expect(exportTopic(kafka, registry, { topic: '', fromMs: 0, toMs: 0, format: 'avro', outDir: out, stateDir, operator: 'x' }, first.id)).rejects.toMatchObject({ code: 'job_done' });
    await expect(exportTopic(kafka, registry, { topic: '', fromMs: 0, toMs: 0, format: 'avro', outDir: out, stateDir, operator: 'x' }, 'ex-none')).rejects.toMatchObject({ code: 'unknown_job' });
    await expect(exportTopic(kafka, registry, { topic: topics.edits.name, fromMs, toMs, format: 'avro', outDir: out, partRecords: 0 })).rejects.toMatchObject({ code: 'invalid_part_records' });
  });
});
