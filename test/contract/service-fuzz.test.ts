import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import type { Kafka, Producer } from 'kafkajs';
import WebSocket from 'ws';
import { migrate } from '../../analytics/migrations';
import { openWarehouse, type Warehouse } from '../../analytics/warehouse';
import { createSink, sinkTopics, type Sink } from '../../consumers/sink/sink';
import { serverMessage } from '../../producers/gateway/protocol';
import { controlTopic, requestsTopic, topics, type TopicSpec } from '../../topics/catalog';
import type { DeadLetter, RunControl } from '../../topics/types';
import { runResult, seekGroupToEnd, tmpDir, waitFor } from '../analytics/fixtures';
import { realInfra } from '../support/infra';
import { sampleRecords } from '../support/records';
import { fuzzRuns, schemaArbitrary, type Schema } from '../support/schema-arbitrary';
import { gatewayUrl, postJson, startExecutor, startGateway, stopService, wsUrl } from '../support/stack';

/**
 * Fuzzing through the real services: generated editor-protocol messages
 * (from docs/editor-protocol.schema.json, and mutations of them) over the
 * gateway's WebSocket, generated and garbage REST/Piston bodies, and
 * corrupted Avro records into the executor's and the sink's topics. Every
 * answer must be one the protocol allows, every refusal a code and a
 * sentence, no 5xx, and every process still serving at the end.
 * CI runs a few thousand cases; FUZZ_RUNS=100000 spreads that many over the
 * same properties (README, Security).
 */
const protocol = JSON.parse(fs.readFileSync(path.join(__dirname, '../../docs/editor-protocol.schema.json'), 'utf8')) as { clientMessage: Schema };
const { kafka, registry } = realInfra('conveyor-service-fuzz');
const services: Awaited<ReturnType<typeof startGateway>>[] = [];
const long = (ciRuns: number, share: number) => 120000 + fuzzRuns(ciRuns, share) * 60;

beforeAll(async () => {
  // Limits high enough that the fuzzer reaches the handlers; refusals by a limit are still checked for their code.
  const env = { RATE_EDITS_PER_SECOND: '100000', RATE_EDITS_BURST: '100000', RATE_SESSIONS_PER_MINUTE: '100000', RATE_SESSIONS_BURST: '100000', RATE_LINKS_BURST: '100000', RATE_LINKS_PER_MINUTE: '100000' };
  services.push(await startExecutor('executor-service-fuzz'), await startGateway(env));
}, 180000);
afterAll(async () => {
  for (const s of services.reverse()) await stopService(s, 5000);
});

/** The gateway and executor still answer a real run. */
async function stillServing() {
  const r = await postJson(`${gatewayUrl}/api/v1/runs`, { language: 'python', code: 'print(6 * 7)\n' }, { 'x-api-key': `fuzz-check-${randomUUID()}` });
  expect({ status: r.status, stdout: r.json.run?.stdout }).toEqual({ status: 200, stdout: '42\n' });
  for (const s of services) expect({ service: s.name, exitCode: s.child.exitCode }).toEqual({ service: s.name, exitCode: null });
}

describe('editor protocol over the real gateway', () => {
  const types = ['open', 'resume', 'edit', 'set', 'run', 'cancel', 'stdin', 'signal', 'sync', 'ping'];
  const language = fc.oneof({ arbitrary: fc.constant('python'), weight: 1 }, { arbitrary: fc.string({ maxLength: 12 }), weight: 3 });
  const fromSchema = schemaArbitrary(protocol.clientMessage, { overrides: { language } });
  // Messages of a known type with fields of any shape, any JSON, and text that is not JSON.
  const mutated = fc.record({ type: fc.constantFrom(...types) }).chain((m) => fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 }).map((d) => ({ ...d, ...m })));
  const message = fc.oneof(
    { arbitrary: fromSchema.map((m) => JSON.stringify(m)), weight: 5 },
    { arbitrary: mutated.map((m) => JSON.stringify(m)), weight: 2 },
    { arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)), weight: 1 },
    { arbitrary: fc.string({ maxLength: 60 }), weight: 1 },
  );

  it('answers every generated message with messages the protocol allows, refusals with a code and a sentence, never internal_error', async () => {
    const ws = new WebSocket(wsUrl, { headers: { 'x-api-key': `fuzz-editor-${randomUUID()}` } });
    const bad: string[] = [];
    const codes = new Map<string, number>();
    let pongs = 0;
    let closed: number | null = null;
    ws.on('message', (raw) => {
      const text = raw.toString();
      const parsed = serverMessage.safeParse(JSON.parse(text));
      if (!parsed.success) return void bad.push(`not a protocol message: ${text.slice(0, 300)}`);
      const m = parsed.data;
      if (m.type === 'pong') pongs++;
      if (m.type === 'error') {
        codes.set(m.code, (codes.get(m.code) ?? 0) + 1);
        if (m.code === 'internal_error' || !/^[a-z_]+$/.test(m.code) || m.message.length < 8) bad.push(`unclear refusal: ${text.slice(0, 300)}`);
      }
    });
    ws.on('close', (code) => (closed = code));
    await new Promise((r, j) => ws.once('open', r).once('error', j));
    ws.send(JSON.stringify({ type: 'open', language: 'python', text: 'print(1)\n' }));

    await fc.assert(
      fc.asyncProperty(message, async (text) => {
        const before = pongs;
        ws.send(text);
        // The socket handles messages in order: the pong says the message before it was answered.
        ws.send('{"type":"ping"}');
        const deadline = Date.now() + 20000;
        while (pongs === before && closed === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
        expect({ closed, answered: pongs > before }).toEqual({ closed: null, answered: true });
        expect(bad).toEqual([]);
      }),
      { numRuns: fuzzRuns(1500, 0.4) },
    );
    ws.close();
    // The refusals seen carry codes a client can act on (printed for the report).
    expect(codes.size).toBeGreaterThan(3);
    console.log(`editor fuzz: ${[...codes].map(([c, n]) => `${c} ${n}`).join(', ')}`);
    await stillServing();
  }, long(1500, 0.4));
});

describe('REST and Piston bodies over the real gateway', () => {
  const body = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
    fc.record({ language: fc.string({ maxLength: 10 }).map((s) => `zz-${s}`), code: fc.string(), files: fc.jsonValue({ maxDepth: 2 }), stdin: fc.jsonValue({ maxDepth: 1 }), limits: fc.jsonValue({ maxDepth: 2 }) }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
    fc.string({ maxLength: 80 }),
    fc.uint8Array({ maxLength: 80 }).map((b) => Buffer.from(b).toString('latin1')),
  );
  const contentType = fc.constantFrom(undefined, 'application/json', 'text/plain', 'application/json; charset=latin1', 'application/x-www-form-urlencoded', 'application/octet-stream', 'multipart/form-data; boundary=x');
  const target = fc.constantFrom('/api/v1/runs', '/api/v2/execute', '/api/v1/links');

  it('answers every body with a 4xx (or a result), a code and a sentence, never a 5xx', async () => {
    let key = 0;
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(target, body, contentType, async (p, b, type) => {
        const res = await fetch(`${gatewayUrl}${p}`, { method: 'POST', headers: { ...(type ? { 'content-type': type } : {}), 'x-api-key': `fuzz-http-${++key % 50}` }, body: b });
        const text = await res.text();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        expect({ p, b, status: res.status < 500 }).toEqual({ p, b, status: true });
        const json = JSON.parse(text);
        if (res.status >= 400) {
          if (p.startsWith('/api/v2/')) expect(json.message).toEqual(expect.any(String));
          else expect(json.error).toEqual({ code: expect.stringMatching(/^[a-z_]+$/), message: expect.any(String) });
        }
      }),
      { numRuns: fuzzRuns(1000, 0.4) },
    );
    console.log(`http fuzz statuses: ${[...statuses].map(([s, n]) => `${s} ${n}`).join(', ')}`);
    await stillServing();
  }, long(1000, 0.4));
});

describe('corrupted Avro records in the executor\'s and the sink\'s topics', () => {
  let producer: Producer;
  let wh: Warehouse;
  let sink: Sink;
  beforeAll(async () => {
    producer = kafka.producer();
    await producer.connect();
    wh = await openWarehouse({ dataDir: tmpDir('fuzz-ch') });
    await migrate(wh);
    const group = `fuzz-sink-${randomUUID()}`;
    await seekGroupToEnd(kafka as Kafka, group, sinkTopics());
    sink = createSink({ kafka, registry, warehouse: wh, groupId: group, fromBeginning: true, flushMs: 200, backoff: { initialMs: 50, maxMs: 500 } });
    await sink.start();
  }, 120000);
  afterAll(async () => {
    await sink?.stop();
    await producer?.disconnect();
    await wh?.close();
  });

  /** A valid encoding of one record per topic, the material the corruptions start from. */
  async function originals(prefix: string): Promise<{ spec: TopicSpec; value: Buffer }[]> {
    const s = sampleRecords();
    const control: RunControl = { runId: s.request.runId, sessionId: s.request.sessionId, kind: 'stdin', data: 'x', signal: '', timestampMs: Date.now() };
    return [
      { spec: requestsTopic('x86_64'), value: await registry.encode(requestsTopic('x86_64'), { ...s.request, runId: `${prefix}-r` }) },
      { spec: topics.edits, value: await registry.encode(topics.edits, s.edit) },
      { spec: controlTopic('x86_64'), value: await registry.encode(controlTopic('x86_64'), control) },
      { spec: topics.results, value: await registry.encode(topics.results, runResult(prefix, 0)) },
    ];
  }
  const corruption = fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
    fc.record({ kind: fc.constant('schema id' as const), id: fc.integer() }),
    fc.record({ kind: fc.constant('random' as const), bytes: fc.uint8Array({ maxLength: 64 }) }),
    fc.record({ kind: fc.constant('overwrite' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  );
  type Corruption = typeof corruption extends fc.Arbitrary<infer C> ? C : never;
  function corrupt(v: Buffer, c: Corruption): Buffer {
    const b = Buffer.from(v);
    switch (c.kind) {
      case 'flip': b[5 + (c.at % Math.max(1, b.length - 5))]! ^= 1 << c.bit; return b;
      case 'truncate': return b.subarray(0, c.at % b.length);
      case 'append': return Buffer.concat([b, Buffer.from(c.bytes)]);
      case 'schema id': b.writeInt32BE(c.id | 0, 1); return b;
      case 'random': return Buffer.from(c.bytes);
      default: Buffer.from(c.bytes).copy(b, 5 + (c.at % Math.max(1, b.length - 5))); return b;
    }
  }

  it('dead-letters what cannot be decoded with a code and a reason, and every consumer keeps serving', async () => {
    const prefix = `fuzz-avro-${randomUUID().slice(0, 8)}`;
    const base = await originals(prefix);
    const admin = kafka.admin();
    await admin.connect();
    const dlqStart = await admin.fetchTopicOffsets(topics.dlq.name);
    await admin.disconnect();
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: base.length - 1 }), corruption, async (which, c) => {
        const { spec, value } = base[which]!;
        await producer.send({ topic: spec.name, messages: [{ key: `${prefix}-${++n}`, value: corrupt(value, c) }] });
      }),
      { numRuns: fuzzRuns(400, 0.2) },
    );
    // A good record after the garbage: loaded by the sink, so it read past every corrupted one.
    const sentinel = runResult(prefix, 1);
    await producer.send({ topic: topics.results.name, messages: [{ key: sentinel.runId, value: await registry.encode(topics.results, sentinel) }] });
    await waitFor('the sink to load the record after the garbage', async () => (await wh.query<{ n: string }>('SELECT count() AS n FROM runs WHERE run_id = {id:String}', { id: sentinel.runId }))[0]!.n, (x) => Number(x) === 1, 120000);
    expect(sink.status().state).toBe('running');

    const reader = kafka.consumer({ groupId: `fuzz-dlq-${randomUUID()}` });
    const letters: DeadLetter[] = [];
    await reader.connect();
    await reader.subscribe({ topic: topics.dlq.name });
    await reader.run({ eachMessage: async ({ message }) => void letters.push(await registry.decode<DeadLetter>(message.value!, topics.dlq)) });
    for (const p of dlqStart) reader.seek({ topic: topics.dlq.name, partition: p.partition, offset: p.offset });
    const mine = () => letters.filter((l) => l.key?.startsWith(`${prefix}-`));
    // Random bytes are never Avro of a known schema: some records must have been dead-lettered by each consumer kind.
    await waitFor('dead letters of the corrupted records', async () => mine(), (l) => l.length > 0, 60000);
    await new Promise((r) => setTimeout(r, 3000));
    await reader.disconnect();
    for (const l of mine()) expect({ code: /^[a-z_]+$/.test(l.code), reason: l.reason.length > 10 }).toEqual({ code: true, reason: true });
    const byCode = new Map<string, number>();
    for (const l of mine()) {
      const k = `${l.consumer.replace(/-[0-9a-f-]{8,}$/, '')}: ${l.code}`;
      byCode.set(k, (byCode.get(k) ?? 0) + 1);
    }
    console.log(`avro fuzz: ${n} corrupted records, dead letters ${[...byCode].map(([c, k]) => `${c} ${k}`).join(', ')}`);
    await stillServing();
    expect((await fetch(`${gatewayUrl}/healthz`)).status).toBe(200);
  }, long(400, 0.2));
});
