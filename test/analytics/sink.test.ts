import { randomUUID } from 'node:crypto';
import type { Kafka, Producer } from 'kafkajs';
import { migrate } from '../../analytics/migrations';
import { openWarehouse, type Warehouse } from '../../analytics/warehouse';
import { createSink, sinkTopics, type Sink } from '../../consumers/sink/sink';
import { clusterLagSource, groupLag, readLag } from '../../consumers/sink/lag';
import { connectionSettings } from '../../topics/ground/connections';
import { CONSUMER_FETCH_LIMITS, requestsTopic, topics } from '../../topics/catalog';
import { createKafka } from '../../topics/kafka';
import { createRegistry, type Registry } from '../../topics/registry';
import type { DeadLetter } from '../../topics/types';
import { editEvent, runRequest, runResult, seekGroupToEnd, setGroupOffsets, tmpDir, waitFor } from './fixtures';

const infra = connectionSettings();
let kafka: Kafka;
let registry: Registry;
let producer: Producer;
let wh: Warehouse;
const sinks: Sink[] = [];

beforeAll(async () => {
  kafka = createKafka(infra.brokers, 'analytics-sink-test');
  registry = createRegistry({ url: infra.registryUrl });
  producer = kafka.producer();
  await producer.connect();
  wh = await openWarehouse({ dataDir: tmpDir('sink-ch') });
  await migrate(wh);
});

afterAll(async () => {
  await Promise.allSettled(sinks.map((s) => s.stop()));
  await producer?.disconnect();
  await wh?.close();
});

async function startSink(groupId: string, warehouse: Warehouse, extra: Partial<Parameters<typeof createSink>[0]> = {}): Promise<Sink> {
  const sink = createSink({ kafka, registry, warehouse, groupId, flushMs: 200, backoff: { initialMs: 50, maxMs: 500 }, lagIntervalMs: 500, ...extra });
  sinks.push(sink);
  await sink.start();
  return sink;
}

/**
 * The warehouse with a fault around every write. The sink writes through
 * insertFiles (Avro straight into the embedded engine) or, where that is
 * missing as on a server, through insert (decoded rows): both are covered.
 */
type Path = 'avro files' | 'decoded rows';
function faulty(path: Path, around: (write: () => Promise<void>) => Promise<void>): Warehouse {
  const base: Warehouse = { kind: wh.kind, query: wh.query.bind(wh), command: wh.command.bind(wh), close: async () => {}, insert: (t, r, o) => around(() => wh.insert(t, r, o)) };
  if (path === 'avro files') base.insertFiles = (sql, params, files, o) => around(() => wh.insertFiles!(sql, params, files, o));
  return base;
}
const PATHS: Path[] = ['avro files', 'decoded rows'];

async function produceResults(prefix: string, from: number, to: number): Promise<void> {
  const messages = [];
  for (let i = from; i < to; i++) {
    // A dependency set of its own, so the per-minute view can be checked for this test's runs only.
    const r = runResult(prefix, i, { dependencySet: `${prefix}-deps` });
    messages.push({ key: r.runId, value: await registry.encode(topics.results, r) });
  }
  await producer.send({ topic: topics.results.name, messages });
}

async function count(table: string, idColumn: string, prefix: string): Promise<{ n: number; distinct: number }> {
  const [row] = await wh.query<{ n: string; d: string }>(
    `SELECT count() AS n, uniqExact(${idColumn}) AS d FROM ${table} WHERE startsWith(${idColumn}, {p:String})`,
    { p: `${prefix}-` },
  );
  return { n: Number(row!.n), distinct: Number(row!.d) };
}

/** The per-minute view must agree with the raw table: redelivery must not double-count there either. */
async function usageVsRaw(prefix: string): Promise<{ usage: number; raw: number }> {
  const [row] = await wh.query<{ u: string; r: string }>(
    'SELECT (SELECT sum(runs) FROM usage_per_minute WHERE dependency_set = {d:String}) AS u, (SELECT count() FROM runs WHERE dependency_set = {d:String}) AS r',
    { d: `${prefix}-deps` },
  );
  return { usage: Number(row!.u), raw: Number(row!.r) };
}

describe('ClickHouse sink on the real topics', () => {
  it('reads through its own cluster (one ListOffsets, one OffsetFetch) the same lag as kafkajs admin reads topic by topic', async () => {
    const topic = requestsTopic('gpu').name;
    const group = `sink-lag-test-${randomUUID()}`;
    const prefix = `lag${Date.now()}`;
    // Records in a quiet topic, a commit on some of its partitions: committed, uncommitted and empty partitions.
    const messages = [];
    for (let i = 0; i < 30; i++) messages.push({ key: `${prefix}-${i}`, value: await registry.encode(requestsTopic('gpu'), runRequest(prefix, i)) });
    await producer.send({ topic, messages });
    const ends = await seekGroupToEnd(kafka, `${group}-probe`, [topic]);
    const some = ends.get(topic)!.filter((p) => Number(p.offset) > 0).slice(0, 2);
    expect(some.length).toBeGreaterThan(0);
    await setGroupOffsets(kafka, group, new Map([[topic, some.map((p) => ({ partition: p.partition, offset: String(Number(p.offset) - 1) }))]]));
    const source = clusterLagSource(kafka);
    const admin = kafka.admin();
    await Promise.all([source.connect(), admin.connect()]);
    try {
      for (const fromBeginning of [false, true]) {
        const ours = await readLag(source, group, [topic, topics.fleet.name], fromBeginning);
        expect(ours).toEqual(await groupLag(admin, group, [topic, topics.fleet.name], fromBeginning));
        expect(ours[0]!.lag).toBeGreaterThanOrEqual(some.length);
      }
    } finally {
      await Promise.all([source.disconnect(), admin.disconnect()]);
    }
  });

  it('loads run results, run requests and edit metadata with exact counts, without program text', async () => {
    const group = `sink-test-${randomUUID()}`;
    const prefix = `load${Date.now()}`;
    await seekGroupToEnd(kafka, group, sinkTopics());
    const sink = await startSink(group, wh);
    await produceResults(prefix, 0, 500);
    for (let i = 0; i < 90; i++) {
      const r = runRequest(prefix, i);
      await producer.send({ topic: requestsTopic(r.hardwareClass).name, messages: [{ key: r.sessionId, value: await registry.encode(requestsTopic(r.hardwareClass), r) }] });
    }
    const edits = [];
    for (let i = 0; i < 70; i++) edits.push({ key: `${prefix}-session-${i % 7}`, value: await registry.encode(topics.edits, editEvent(prefix, i)) });
    await producer.send({ topic: topics.edits.name, messages: edits });

    await waitFor('all rows', async () => [await count('runs', 'run_id', prefix), await count('run_requests', 'run_id', prefix), await count('edit_activity', 'event_id', prefix)], (v) =>
      v[0]!.n >= 500 && v[1]!.n >= 90 && v[2]!.n >= 70,
    );
    await new Promise((r) => setTimeout(r, 500));
    expect(await count('runs', 'run_id', prefix)).toEqual({ n: 500, distinct: 500 });
    expect(await count('run_requests', 'run_id', prefix)).toEqual({ n: 90, distinct: 90 });
    expect(await count('edit_activity', 'event_id', prefix)).toEqual({ n: 70, distinct: 70 });
    const [edit] = await wh.query<Record<string, unknown>>(`SELECT * FROM edit_activity WHERE event_id = {id:String}`, { id: `${prefix}-edit-0` });
    expect(edit).toMatchObject({ kind: 'open', inserted_chars: 6, deleted_chars: 1, file_count: 1, text_bytes: 1000 });
    expect(JSON.stringify(edit)).not.toContain('SECRET');
    const [run] = await wh.query<Record<string, unknown>>(`SELECT * FROM runs WHERE run_id = {id:String}`, { id: `${prefix}-run-2` });
    expect(run).toMatchObject({ language: 'cpp', queue_wait_ms: 10, latency_ms: 110, compile_ms: 40, run_ms: 50, cpu_ms: 80, cache_hit: 1, status: 'ok' });
    await waitFor('lag 0', () => sink.refreshLag(), (l) => l.every((t) => t.lag === 0), 20_000);
    await sink.stop();
  });

  it('sends an undecodable record to runs.dlq with a reason and keeps going', async () => {
    const group = `sink-test-${randomUUID()}`;
    const prefix = `dlq${Date.now()}`;
    await seekGroupToEnd(kafka, group, [...sinkTopics(), topics.dlq.name]);
    const dlqOffsets = await kafka.admin();
    await dlqOffsets.connect();
    const dlqStart = (await dlqOffsets.fetchTopicOffsets(topics.dlq.name)).map((p) => ({ partition: p.partition, offset: p.high }));
    await dlqOffsets.disconnect();
    const sink = await startSink(group, wh);
    await producer.send({ topic: topics.results.name, messages: [{ key: `${prefix}-garbage`, value: Buffer.from('not avro at all') }] });
    // Framing and schema id are fine, the Avro body is cut short: only ClickHouse (or a decoder) can tell.
    const valid = await registry.encode(topics.results, runResult(prefix, 999));
    // A well-formed record the sink must still refuse: a finish time before 1970.
    const negative = await registry.encode(topics.results, runResult(prefix, 998, { at: 0, requestedAtMs: -5000 }));
    // A well-formed record of the wrong type for this topic.
    const wrongType = await registry.encode(requestsTopic('x86_64'), runRequest(prefix, 997));
    await producer.send({
      topic: topics.results.name,
      messages: [
        ...(await Promise.all([0, 1, 2].map(async (i) => ({ key: `${prefix}-ok-${i}`, value: await registry.encode(topics.results, runResult(prefix, 100 + i)) })))),
        { key: `${prefix}-truncated`, value: valid.subarray(0, valid.length - 12) },
        { key: `${prefix}-negative`, value: negative },
        { key: `${prefix}-wrong-type`, value: wrongType },
      ],
    });
    await produceResults(prefix, 0, 20);
    await waitFor('good rows', () => count('runs', 'run_id', prefix), (c) => c.n === 23);
    expect(sink.status().deadLetters).toBe(4);

    const reader = kafka.consumer({ ...CONSUMER_FETCH_LIMITS, groupId: `dlq-reader-${randomUUID()}` });
    await reader.connect();
    const letters: DeadLetter[] = [];
    await reader.subscribe({ topic: topics.dlq.name });
    await reader.run({ eachMessage: async ({ message }) => void letters.push(await registry.decode<DeadLetter>(message.value!)) });
    for (const p of dlqStart) reader.seek({ topic: topics.dlq.name, partition: p.partition, offset: p.offset });
    const mine = await waitFor('dead letters', async () => letters.filter((l) => l.key?.startsWith(prefix)), (l) => l.length >= 4, 20_000);
    await reader.disconnect();
    const byKey = Object.fromEntries(mine.map((l) => [l.key!.slice(prefix.length + 1), l]));
    expect(Object.keys(byKey).sort()).toEqual(['garbage', 'negative', 'truncated', 'wrong-type']);
    expect(byKey.garbage).toMatchObject({ sourceTopic: topics.results.name, code: 'undecodable', consumer: group });
    expect(byKey.garbage!.reason).toMatch(/cannot be decoded/);
    expect(byKey.garbage!.payload?.toString()).toBe('not avro at all');
    expect(byKey.truncated).toMatchObject({ code: 'undecodable' });
    expect(byKey.negative).toMatchObject({ code: 'invalid_record' });
    expect(byKey.negative!.reason).toMatch(/requestedAtMs is not a timestamp/);
    expect(byKey['wrong-type']).toMatchObject({ code: 'invalid_record' });
    expect(byKey['wrong-type']!.reason).toMatch(/RunRequest/);
    await sink.stop();
  });

  it('does not double-count a replayed batch after the group is rewound', async () => {
    const group = `sink-test-${randomUUID()}`;
    const prefix = `replay${Date.now()}`;
    const start = await seekGroupToEnd(kafka, group, sinkTopics());
    const first = await startSink(group, wh);
    await produceResults(prefix, 0, 300);
    await waitFor('first load', () => count('runs', 'run_id', prefix), (c) => c.n >= 300);
    await first.stop();

    // Rewind: the whole batch is delivered again, plus new records after it.
    await setGroupOffsets(kafka, group, start);
    const second = await startSink(group, wh);
    await produceResults(prefix, 300, 350);
    await waitFor('new records', () => count('runs', 'run_id', prefix), (c) => c.n >= 350);
    await waitFor('replay seen', async () => second.status().skippedRedeliveries, (n) => n >= 300, 20_000);
    await new Promise((r) => setTimeout(r, 500));
    expect(await count('runs', 'run_id', prefix)).toEqual({ n: 350, distinct: 350 });
    // Other producers' records on runs.results are replayed too, hence at least.
    expect(second.status().skippedRedeliveries).toBeGreaterThanOrEqual(300);
    const agg = await usageVsRaw(prefix);
    expect(agg.usage).toBe(agg.raw);
    await second.stop();
  });

  it.each(PATHS)('retries an insert whose acknowledgement was lost without duplicating it (dedup token; %s)', async (path) => {
    const group = `sink-test-${randomUUID()}`;
    const prefix = `token${Date.now()}`;
    await seekGroupToEnd(kafka, group, sinkTopics());
    let lostAcks = 0;
    const flaky = faulty(path, async (write) => {
      await write();
      if (lostAcks < 2) {
        lostAcks++;
        throw new Error('connection reset after insert (injected)');
      }
    });
    const sink = await startSink(group, flaky);
    await produceResults(prefix, 0, 200);
    await waitFor('rows', () => count('runs', 'run_id', prefix), (c) => c.n >= 200);
    await waitFor('commit', () => sink.refreshLag(), (l) => l.every((t) => t.lag === 0), 20_000);
    expect(lostAcks).toBe(2);
    expect(await count('runs', 'run_id', prefix)).toEqual({ n: 200, distinct: 200 });
    const agg = await usageVsRaw(prefix);
    expect(agg.usage).toBe(agg.raw);
    await sink.stop();
  });

  it.each(PATHS)('waits out a ClickHouse outage with visible lag, then loads every event exactly once (%s)', async (path) => {
    const group = `sink-test-${randomUUID()}`;
    const prefix = `outage${Date.now()}`;
    await seekGroupToEnd(kafka, group, sinkTopics());
    let down = true;
    let refused = 0;
    const outage = faulty(path, async (write) => {
      if (down) {
        refused++;
        throw new Error('ClickHouse unavailable (injected)');
      }
      await write();
    });
    const sink = await startSink(group, outage);
    await produceResults(prefix, 0, 400);
    await waitFor('outage noticed', async () => sink.status(), (s) => !s.clickhouse.up && s.clickhouse.failedAttempts >= 3, 20_000);
    const lag = await sink.refreshLag();
    expect(lag.find((l) => l.topic === topics.results.name)!.lag).toBeGreaterThan(0);
    expect((await sink.metrics.registry.getSingleMetricAsString('conveyor_sink_lag_records'))).toMatch(new RegExp(`topic="${topics.results.name.replace(/\./g, '\\.')}"} [1-9]`));
    expect(await count('runs', 'run_id', prefix)).toEqual({ n: 0, distinct: 0 });

    down = false;
    await waitFor('recovery', () => count('runs', 'run_id', prefix), (c) => c.n >= 400, 30_000);
    await waitFor('lag drained', () => sink.refreshLag(), (l) => l.every((t) => t.lag === 0), 20_000);
    expect(await count('runs', 'run_id', prefix)).toEqual({ n: 400, distinct: 400 });
    expect(sink.status().clickhouse.up).toBe(true);
    const agg = await usageVsRaw(prefix);
    expect(agg.usage).toBe(agg.raw);
    expect(refused).toBeGreaterThanOrEqual(3);
    await sink.stop();
  });

  it('keeps fetching while inserts are in flight, commits only what is stored, and a restart loads the rest exactly once', async () => {
    const group = `sink-test-${randomUUID()}`;
    const prefix = `pipe${Date.now()}`;
    await seekGroupToEnd(kafka, group, sinkTopics());
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let writes = 0;
    // The first insert hangs until released; later ones are slow. The sink must go on fetching meanwhile.
    const slow = faulty('avro files', async (write) => {
      if (writes++ === 0) await gate;
      else await new Promise((r) => setTimeout(r, 300));
      await write();
    });
    // In flight at most twice flushRows: then fetching waits for ClickHouse.
    const first = await startSink(group, slow, { flushRows: 100, flushMs: 100 });
    try {
      await produceResults(prefix, 0, 100);
      await waitFor('first insert started', async () => writes, (n) => n >= 1, 20_000);
      await produceResults(prefix, 100, 400);
      // Records produced after the insert began are fetched and handed over while it still hangs.
      await waitFor('fetched during the insert', async () => first.status().inFlightRows, (n) => n >= 150, 20_000);
      expect(await count('runs', 'run_id', prefix)).toEqual({ n: 0, distinct: 0 });
      expect(first.status().inFlightRows).toBeLessThanOrEqual(200);
      expect((await first.refreshLag()).find((l) => l.topic === topics.results.name)!.lag).toBeGreaterThanOrEqual(400);
    } finally {
      release();
    }
    await produceResults(prefix, 400, 600);
    await waitFor('some rows stored', () => count('runs', 'run_id', prefix), (c) => c.n >= 100, 20_000);
    await first.stop();
    const afterStop = await count('runs', 'run_id', prefix);
    expect(afterStop.n).toBe(afterStop.distinct);

    const second = await startSink(group, wh);
    await waitFor('all rows', () => count('runs', 'run_id', prefix), (c) => c.n >= 600, 30_000);
    await waitFor('lag drained', () => second.refreshLag(), (l) => l.every((t) => t.lag === 0), 20_000);
    expect(await count('runs', 'run_id', prefix)).toEqual({ n: 600, distinct: 600 });
    const agg = await usageVsRaw(prefix);
    expect(agg.usage).toBe(agg.raw);
    await second.stop();
  });
});
