import fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import avro from 'avsc';
import { exportTopic } from '../../ops/replay/export';
import { topics } from '../../topics/catalog';
import { createTypedProducer } from '../../topics/codec';
import type { EditEvent } from '../../topics/types';
import { editEvent, tmpDir } from '../analytics/fixtures';
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

describe('export', () => {
  it('writes a time range of a topic as Avro container files that an independent reader reads back with the same records', async () => {
    const prefix = `ex${randomUUID().slice(0, 8)}`;
    const producer = await createTypedProducer(kafka, registry);
    const fromMs = Date.now();
    const events: EditEvent[] = Array.from({ length: 40 }, (_, i) => ({ ...editEvent(prefix, i, fromMs + i), sessionId: `${prefix}-s${i % 4}` }));
    await producer.send(topics.edits, events.map((e) => ({ key: e.sessionId, value: e })));
    await producer.disconnect();
    const toMs = Date.now();
    const out = tmpDir('replay-export');
    const r = await exportTopic(kafka, registry, { topic: topics.edits.name, fromMs, toMs, format: 'avro', outDir: out });
    expect(r.files.length).toBeGreaterThanOrEqual(1);
    const read = (await Promise.all(r.files.map((f) => readContainer(f.file))));
    expect((read[0]!.schema as { name: string }).name).toMatch(/EditEvent$/);
    const mine = read.flatMap((x) => x.records).filter((x) => String(x.eventId).startsWith(prefix));
    const byId = (a: { eventId: unknown }, b: { eventId: unknown }) => String(a.eventId).localeCompare(String(b.eventId));
    const normal = (x: Record<string, unknown>) => JSON.parse(JSON.stringify({ ...x, timestampMs: Number(x.timestampMs instanceof Date ? x.timestampMs.getTime() : x.timestampMs) }));
    expect(mine.map(normal).sort(byId)).toEqual(events.map((e) => normal({ ...e })).sort(byId));

    const jsonl = await exportTopic(kafka, registry, { topic: topics.edits.name, fromMs, toMs, format: 'jsonl', outDir: out });
    const lines = fs.readFileSync(jsonl.files[0]!.file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.filter((l) => String(l.value.eventId).startsWith(prefix))).toHaveLength(40);
    expect(lines[0]).toMatchObject({ topic: 'editor.edits', partition: expect.any(Number), offset: expect.any(Number), schemaId: expect.any(Number) });
    await expect(exportTopic(kafka, registry, { topic: 'no.such.topic', fromMs, toMs, format: 'avro', outDir: out })).rejects.toMatchObject({ code: 'unknown_topic' });
  });
});
