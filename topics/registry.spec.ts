import avro from 'avsc';
import { loadSchema, requestsTopic, topics } from './catalog';
import { avroBodyOf, createRegistry, RegistryError, schemaIdOf } from './registry';

type Schema = { type: 'record'; name: string; fields: { name: string; type: unknown; default?: unknown }[] };

/** A registry whose REST API is a fake answering GET /schemas/ids/<id> from `schemas`, counting requests. */
function registryWith(schemas: Record<number, object>) {
  const asked: string[] = [];
  const fetch = (async (input: string | URL | Request) => {
    const path = String(input).replace('http://registry.test', '');
    asked.push(path);
    // A subject's latest schema is the highest id given (the spec's registry holds one subject at a time).
    if (/^\/subjects\/[^/]+\/versions\/latest$/.test(path)) {
      const latest = Math.max(...Object.keys(schemas).map(Number));
      return new Response(JSON.stringify({ id: latest, version: 1, schema: JSON.stringify(schemas[latest]) }), { status: 200 });
    }
    const id = Number(/^\/schemas\/ids\/(\d+)$/.exec(path)?.[1]);
    const schema = schemas[id];
    return new Response(schema ? JSON.stringify({ schema: JSON.stringify(schema) }) : JSON.stringify({ message: 'not found' }), { status: schema ? 200 : 404 });
  }) as typeof globalThis.fetch;
  return { registry: createRegistry({ url: 'http://registry.test', fetch }), asked };
}

/** A value in the Confluent wire format: magic byte 0, the schema id, the Avro body. */
function framed(id: number, type: avro.Type, value: unknown): Buffer {
  const head = Buffer.alloc(5);
  head.writeInt32BE(id, 1);
  return Buffer.concat([head, type.toBuffer(value)]);
}

const current = loadSchema(requestsTopic('x86_64')) as Schema;
const readerType = avro.Type.forSchema(current as avro.Schema);

describe('registry decode: the writer schema resolved into the reader (current) one', () => {
  it('gives a field an older writer lacks its default', async () => {
    const dropped = current.fields.find((f) => f.name === 'stdin')!;
    const older = { ...current, fields: current.fields.filter((f) => f !== dropped) };
    const olderType = avro.Type.forSchema(older as avro.Schema);
    const value = olderType.random() as unknown as Record<string, unknown>;
    const { registry } = registryWith({ 11: older });
    const got = (await registry.decode(framed(11, olderType, value), requestsTopic('x86_64'))) as unknown as Record<string, unknown>;
    expect(got.stdin).toEqual(dropped.default);
    expect(got.runId).toEqual(value.runId);
    expect(readerType.isValid(got)).toBe(true);
  });

  it('drops a field a newer writer added', async () => {
    const newer = { ...current, fields: [...current.fields, { name: 'addedLater', type: 'string', default: '' }] };
    const newerType = avro.Type.forSchema(newer as avro.Schema);
    const value: Record<string, unknown> = { ...(readerType.random() as unknown as Record<string, unknown>), addedLater: 'from the future' };
    const { registry } = registryWith({ 12: newer });
    const got = (await registry.decode(framed(12, newerType, value), requestsTopic('x86_64'))) as unknown as Record<string, unknown>;
    expect(got).not.toHaveProperty('addedLater');
    expect(got.runId).toEqual(value.runId);
  });

  it('keeps the writer shape without a spec, and asks the registry for a writer schema once', async () => {
    const { registry, asked } = registryWith({ 13: current });
    const value = readerType.random() as unknown as Record<string, unknown>;
    for (let i = 0; i < 3; i++) expect(((await registry.decode(framed(13, readerType, value))) as Record<string, unknown>).runId).toEqual(value.runId);
    expect(asked).toEqual(['/schemas/ids/13']);
  });

  it('refuses a value outside the wire format and an unknown schema id with codes', async () => {
    const { registry } = registryWith({});
    await expect(registry.decode(Buffer.from('{"json":true}'), topics.edits)).rejects.toMatchObject({ code: 'schema_unknown' });
    const err = await registry.decode(framed(99, readerType, readerType.random()), requestsTopic('x86_64')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect(err).toMatchObject({ code: 'schema_unknown' });
  });
});

describe('Confluent framing', () => {
  it('reads the schema id and the Avro body of a framed value, and no id from anything else', () => {
    const v = framed(258, readerType, readerType.random());
    expect(schemaIdOf(v)).toBe(258);
    expect(avroBodyOf(v)).toEqual(v.subarray(5));
    expect(schemaIdOf(Buffer.from([1, 0, 0, 0, 1]))).toBeNull();
    expect(schemaIdOf(Buffer.from([0, 0]))).toBeNull();
    expect(schemaIdOf(null)).toBeNull();
  });
});

describe('registry encode', () => {
  const spec = requestsTopic('x86_64');
  const value = readerType.random() as unknown as never;

  it('frames a value as the Confluent wire format with the subject latest schema id, readable by decode', async () => {
    const { registry } = registryWith({ 21: current });
    const bytes = await registry.encode(spec, value);
    expect(bytes).toEqual(framed(21, readerType, value));
    expect(readerType.isValid(await registry.decode(bytes, spec))).toBe(true);
    expect(await registry.decode(bytes, spec)).toEqual(readerType.fromBuffer(avroBodyOf(bytes)));
  });

  it('hands out a synchronous encoder once the topic was encoded, looking its schema up once', async () => {
    const { registry, asked } = registryWith({ 22: current });
    expect(registry.encoderNow(spec)).toBeUndefined();
    const encode = await registry.encoder(spec);
    expect(registry.encoderNow(spec)).toBe(encode);
    // Large values grow the shared scratch buffer: each is still framed whole.
    const big = { ...(value as object), stdin: 'x'.repeat(200 * 1024) } as never;
    for (const v of [value, big, value]) expect(encode(v)).toEqual(framed(22, readerType, v));
    expect(asked.filter((a) => a.startsWith('/subjects/'))).toHaveLength(1);
    expect(asked.filter((a) => a.startsWith('/schemas/ids/'))).toHaveLength(1);
  });

  it('refuses a value its schema does not allow, naming where', async () => {
    const { registry } = registryWith({ 23: current });
    const encode = await registry.encoder(spec);
    expect(() => encode({ ...(value as object), runId: 42 } as never)).toThrow(/runId/);
  });

  it('decodes synchronously only a schema id it has fetched', async () => {
    const { registry } = registryWith({ 24: current });
    const bytes = framed(24, readerType, value);
    expect(registry.decodeNow(bytes, spec)).toBeUndefined();
    const later = await registry.decode(bytes, spec);
    expect(registry.decodeNow(bytes, spec)).toEqual(later);
  });
});
