import { randomUUID } from 'node:crypto';
import avro from 'avsc';
import type { Consumer } from 'kafkajs';
import { topics, requestsTopic, loadSchema, type TopicSpec } from '../../topics/catalog';
import { createTypedProducer, decodeValue, type TypedProducer } from '../../topics/codec';
import { applyTopics } from '../../topics/admin';
import { RegistryError } from '../../topics/registry';
import { realInfra } from '../support/infra';
import { sampleRecords } from '../support/records';

const { kafka, registry } = realInfra();
let producer: TypedProducer;

beforeAll(async () => {
  producer = await createTypedProducer(kafka, registry);
});
afterAll(async () => {
  await producer.disconnect();
});

/** Consumes from the end offsets captured before producing, until `count` records arrived. */
async function consumeNew(topic: string, produce: () => Promise<void>, count: number) {
  const admin = kafka.admin();
  await admin.connect();
  const before = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const consumer: Consumer = kafka.consumer({ groupId: `test-${randomUUID()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: false });
  const got: { value: Buffer; partition: number; key: string }[] = [];
  const done = new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message, partition }) => {
        got.push({ value: message.value!, partition, key: message.key!.toString() });
        if (got.length >= count) resolve();
      },
    });
  });
  consumer.on(consumer.events.GROUP_JOIN, () => {
    for (const p of before) consumer.seek({ topic, partition: p.partition, offset: p.offset });
  });
  await new Promise<void>((r) => consumer.on(consumer.events.GROUP_JOIN, () => r()));
  await produce();
  await done;
  await consumer.disconnect();
  return got;
}

describe('topics through the real broker and registry', () => {
  const samples = sampleRecords();
  const cases: [string, TopicSpec<any>, unknown, string][] = [
    ['edit events', topics.edits, samples.edit, samples.edit.sessionId],
    ['program snapshots', topics.snapshots, samples.snapshot, samples.snapshot.sessionId],
    ['run requests', requestsTopic('x86_64'), samples.request, samples.request.sessionId],
    ['output chunks', topics.output, samples.output, samples.output.runId],
    ['run results', topics.results, samples.result, samples.result.runId],
    ['dead letters', topics.dlq, samples.dead, samples.dead.id],
  ];

  it.each(cases)('round-trips %s in the Confluent wire format, decoded by schema id', async (_name, spec, value, key) => {
    const got = await consumeNew(spec.name, () => producer.send(spec, [{ key, value }]), 1);
    const wire = got[0]!.value;
    expect(wire[0]).toBe(0);
    const schemaId = wire.readInt32BE(1);
    const latest = await fetch(`${registry.url}/subjects/${spec.name}-value/versions/latest`).then((r) => r.json() as Promise<{ id: number }>);
    expect(schemaId).toBe(latest.id);
    const decoded = await decodeValue(registry, wire);
    expect(decoded).toEqual({ ok: true, value });
    // A standard Avro reader with only the registered schema text reads the body too.
    const registered = await fetch(`${registry.url}/schemas/ids/${schemaId}`).then((r) => r.json() as Promise<{ schema: string }>);
    expect(avro.Type.forSchema(JSON.parse(registered.schema)).fromBuffer(wire.subarray(5))).toEqual(value);
  });

  it('refuses a value that is not in the wire format with a reason instead of throwing', async () => {
    expect(await decodeValue(registry, Buffer.from('plain text'))).toEqual({ ok: false, transient: false, reason: expect.stringMatching(/wire format/) });
  });

  it('applying the catalog twice changes nothing the second time', async () => {
    const second = await applyTopics(kafka, registry);
    expect(second.every((t) => t.action === 'unchanged')).toBe(true);
  });
});

describe('schema evolution', () => {
  const base = loadSchema(topics.output) as { fields: { name: string }[] };
  const spec: TopicSpec = { ...topics.output, name: `test.evolution.${randomUUID().slice(0, 8)}`, partitions: 1 };

  afterAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [spec.name] });
    await admin.disconnect();
  });

  it('lets an old reader read a record written with a newer compatible schema', async () => {
    await applyTopics(kafka, registry, [spec]);
    const newer = { ...base, fields: [...base.fields, { name: 'exitHint', type: ['null', 'string'], default: null }] };
    const newId = await registry.register(spec, newer);
    const record = { ...sampleRecords().output, exitHint: 'flushed' };
    const wire = await registry.encode(spec, record);
    expect(wire.readInt32BE(1)).toBe(newId);
    // Old reader: resolve the writer's (new) schema into the old schema.
    const writer = avro.Type.forSchema(newer as avro.Schema);
    const reader = avro.Type.forSchema(base as unknown as avro.Schema);
    const old = reader.fromBuffer(wire.subarray(5), reader.createResolver(writer)) as Record<string, unknown>;
    expect(old.data).toBe(record.data);
    expect(old).not.toHaveProperty('exitHint');
    // Conveyor's own consumers do the same when they name the topic.
    const { exitHint: _hint, ...current } = record;
    expect(await decodeValue(registry, wire, spec)).toEqual({ ok: true, value: current });
  });

  it('gives a record written with an older schema the current defaults', async () => {
    const older = { ...base, fields: base.fields.filter((f) => f.name !== 'replyTo') };
    const olderId = await registry.register(spec, older);
    const { replyTo: _dropped, ...record } = sampleRecords().output;
    const wire = await registry.encode(spec, record as typeof sampleRecords extends () => { output: infer O } ? O : never);
    expect(wire.readInt32BE(1)).toBe(olderId);
    expect(await decodeValue(registry, wire, spec)).toEqual({ ok: true, value: { ...record, replyTo: '' } });
    // Without the topic, the value keeps the writer's shape.
    const raw = await decodeValue(registry, wire);
    expect(raw.ok && raw.value).not.toHaveProperty('replyTo');
  });

  it('rejects an incompatible change in the registry', async () => {
    const incompatible = { ...base, fields: [...base.fields, { name: 'mandatory', type: 'string' }] };
    await expect(registry.register(spec, incompatible)).rejects.toThrow(RegistryError);
    await expect(registry.register(spec, incompatible)).rejects.toMatchObject({ code: 'schema_incompatible' });
  });
});
