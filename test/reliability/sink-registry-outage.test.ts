import { randomUUID } from 'node:crypto';
import type { Kafka, Producer } from 'kafkajs';
import { migrate } from '../../analytics/migrations';
import { openWarehouse, type Warehouse } from '../../analytics/warehouse';
import { createSink, type Sink } from '../../consumers/sink/sink';
import { apicurioRegistry } from '../../ops/infra/registry/apicurio';
import { infraSettings } from '../../ops/infra/settings';
import { topics } from '../../topics/catalog';
import { createKafka } from '../../topics/kafka';
import { createRegistry, type Registry } from '../../topics/registry';
import { runResult, tmpDir, waitFor } from '../analytics/fixtures';

/**
 * A schema registry outage seen by the ClickHouse sink: a registry of this
 * test's own (a real Apicurio process on its own port and state, so the
 * shared one keeps serving everyone else) is stopped, records written with
 * its schema ids arrive at a sink that has never seen them, and the registry
 * stays down well past the old five-attempt budget. The sink must wait —
 * loading nothing, dead-lettering nothing — and load every record once the
 * registry is back, on both load paths (Avro files into the embedded engine,
 * and records decoded one by one as with a ClickHouse server).
 */
const base = infraSettings();
const own = infraSettings({ ...process.env, CONVEYOR_STATE_DIR: tmpDir('outage-registry'), REGISTRY_PORT: '18281' });
const registryProcess = apicurioRegistry({ ...own, cacheDir: base.cacheDir });
const N = 60;
let kafka: Kafka;
let producer: Producer;
let registry: Registry;
let wh: Warehouse;
const sinks: Sink[] = [];

beforeAll(async () => {
  await registryProcess.start();
  registry = createRegistry({ url: own.registryUrl });
  kafka = createKafka(base.brokers, 'sink-outage-test');
  producer = kafka.producer();
  await producer.connect();
  wh = await openWarehouse({ dataDir: tmpDir('outage-ch') });
  await migrate(wh);
}, 180000);
afterAll(async () => {
  await Promise.allSettled(sinks.map((s) => s.stop()));
  await producer?.disconnect();
  await wh?.close();
  await registryProcess.stop();
}, 120000);

type Path = 'avro files' | 'decoded rows';
const warehouseFor = (p: Path): Warehouse =>
  p === 'avro files' ? wh : { kind: wh.kind, query: wh.query.bind(wh), command: wh.command.bind(wh), close: async () => {}, insert: wh.insert.bind(wh) };

async function count(prefix: string): Promise<number> {
  const [row] = await wh.query<{ n: string }>('SELECT count() AS n FROM runs WHERE startsWith(run_id, {p:String})', { p: `${prefix}-` });
  return Number(row!.n);
}

it('waits out a stopped registry without dead-lettering, then loads every record once, on both load paths', async () => {
  await registry.register(topics.results);
  await registry.register(topics.dlq);
  // One topic per load path, of this test alone: records with this registry's ids never reach another consumer.
  const lanes = await Promise.all(
    (['avro files', 'decoded rows'] as Path[]).map(async (p) => {
      const prefix = `outage-${randomUUID().slice(0, 8)}`;
      const topic = `${topics.results.name}.outage-${prefix}`;
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
      await admin.disconnect();
      const messages = [];
      for (let i = 0; i < N; i++) {
        const r = runResult(prefix, i);
        messages.push({ key: r.runId, value: await registry.encode(topics.results, r) });
      }
      return { path: p, prefix, topic, messages };
    }),
  );

  await registryProcess.stop();
  expect((await registryProcess.state()).running).toBe(false);
  const downAt = Date.now();
  for (const l of lanes) await producer.send({ topic: l.topic, messages: l.messages });
  for (const l of lanes) {
    // A registry client of its own, as a sink process has: it has never seen these schema ids (the test's client registered them).
    const sink = createSink({
      kafka, registry: createRegistry({ url: own.registryUrl }), warehouse: warehouseFor(l.path), groupId: `sink-outage-${l.prefix}`, topics: [l.topic], fromBeginning: true,
      tableOf: () => 'runs', flushMs: 200, backoff: { initialMs: 100, maxMs: 1000 }, lagIntervalMs: 500,
    });
    sinks.push(sink);
    await sink.start();
  }

  // Down for 35 s at least: far past the five attempts (about 3 s) after which good records used to be dead-lettered, and past the group's 30 s session timeout.
  await waitFor('both sinks to notice the outage', async () => sinks.map((s) => s.status().registry), (r) => r.every((x) => !x.up && x.failedAttempts >= 5), 60000);
  await new Promise((r) => setTimeout(r, Math.max(0, 35000 - (Date.now() - downAt))));
  for (const [i, l] of lanes.entries()) {
    expect({ path: l.path, loaded: await count(l.prefix), deadLetters: sinks[i]!.status().deadLetters }).toEqual({ path: l.path, loaded: 0, deadLetters: 0 });
  }

  await registryProcess.start();
  for (const [i, l] of lanes.entries()) {
    await waitFor(`${l.path}: every record loaded`, () => count(l.prefix), (n) => n >= N, 120000);
    expect(await count(l.prefix)).toBe(N);
    const st = sinks[i]!.status();
    // Waiting batches kept the heartbeat: the outage (longer than the 30 s session timeout) cost no rebalance.
    expect({ path: l.path, deadLetters: st.deadLetters, registryUp: st.registry.up, groupJoins: st.groupJoins }).toEqual({ path: l.path, deadLetters: 0, registryUp: true, groupJoins: 1 });
    expect(st.insertedRows.runs).toBe(N);
  }
  const admin = kafka.admin();
  await admin.connect();
  await Promise.all(sinks.map((s) => s.stop()));
  await admin.deleteTopics({ topics: lanes.map((l) => l.topic) }).catch(() => {});
  await admin.disconnect();
}, 400000);

