import type { ConsumerConfig, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { recordOf } from '../../analytics/avro-rows';
import type { Warehouse } from '../../analytics/warehouse';
import { REPEATED_RESULT_HEADER, topics } from '../../topics/catalog';
import type { Registry } from '../../topics/registry';
import type { EditEvent } from '../../topics/types';
import { CONSUMER_RETRY } from '../../topics/consumer-retry';
import { createSink, createSinkClients, type SinkClients } from './sink';

/**
 * The sink's load-and-commit logic with its collaborators faked (the KafkaJS
 * way: passed in as arguments). The real broker, registry and ClickHouse are
 * in test/analytics/sink.test.ts; here each record's fate is checked exactly.
 */
const TOPIC = 'editor.edits';
const SCHEMA_ID = 7;
const [namespace, name] = ((full) => [full.slice(0, full.lastIndexOf('.')), full.slice(full.lastIndexOf('.') + 1)])(recordOf('edit_activity'));

/** Confluent framing around JSON: the fake registry reads it back; the sink only looks at the 5-byte prefix. */
const framed = (value: unknown) => Buffer.concat([Buffer.from([0, 0, 0, 0, SCHEMA_ID]), Buffer.from(JSON.stringify(value))]);

const edit = (i: number): EditEvent => ({
  eventId: `spec-edit-${i}`, sessionId: 'spec-session', userId: 'spec-user', timestampMs: 1_700_000_000_000 + i, kind: 'edit',
  language: 'python', dependencySet: 'python-3.11-std', hardwareClass: 'x86_64', baseVersion: i, version: i + 1, files: null,
  ops: [{ file: 'main.py', offset: 0, deleteCount: 0, insert: 'x' }], textBytes: 10 + i,
});

function fakes(o: { loadedUpTo?: number } = {}) {
  const log: string[] = [];
  let eachBatch: ((p: EachBatchPayload) => Promise<void>) | undefined;
  const inserted: { table: string; rows: Record<string, unknown>[] }[] = [];
  const sent: { topic: string; count: number }[] = [];
  let commitRequests = 0;
  const clients = {
    consumer: {
      connect: async () => {}, subscribe: async () => {}, stop: async () => {}, disconnect: async () => {},
      events: { GROUP_JOIN: 'consumer.group_join' }, on: () => () => {},
      run: async (r: { eachBatch: (p: EachBatchPayload) => Promise<void> }) => void (eachBatch = r.eachBatch),
      commitOffsets: async (list: { topic: string; partition: number; offset: string }[]) => void (commitRequests++, log.push(...list.map((c) => `commit ${c.topic}/${c.partition}@${c.offset}`))),
    },
    producer: {
      connect: async () => {}, disconnect: async () => {},
      send: async (r: { topic: string; messages: unknown[] }) => {
        sent.push({ topic: r.topic, count: r.messages.length });
        log.push(`send ${r.topic}`);
        return [];
      },
    },
    admin: { connect: async () => {}, disconnect: async () => {}, fetchTopicOffsets: async () => [], fetchOffsets: async () => [] },
  } as unknown as SinkClients;
  const registry = {
    schemaById: async (id: number) => (id === SCHEMA_ID ? { type: 'record', name, namespace, fields: [] } : Promise.reject(new Error('unknown id'))),
    decode: async (v: Buffer) => JSON.parse(v.subarray(5).toString()),
    encode: async (_spec: unknown, v: unknown) => Buffer.from(JSON.stringify(v)),
  } as unknown as Registry;
  const warehouse = {
    kind: 'server',
    query: async () => (o.loadedUpTo === undefined ? [] : [{ m: String(o.loadedUpTo) }]),
    insert: async (table: string, rows: Record<string, unknown>[]) => {
      inserted.push({ table, rows });
      log.push(`insert ${table} ${rows.length}`);
    },
  } as unknown as Warehouse;
  const sink = createSink({ clients, registry, warehouse, topics: [TOPIC], fromBeginning: true, flushMs: 5, lagIntervalMs: 3_600_000 });
  const deliver = async (messages: KafkaMessage[], partition = 0) => {
    await eachBatch!({
      batch: { topic: TOPIC, partition, messages, highWatermark: String(Number(messages.at(-1)!.offset) + 1) },
      resolveOffset: () => {}, heartbeat: async () => {}, commitOffsetsIfNecessary: async () => {}, uncommittedOffsets: () => ({ topics: [] }),
      isRunning: () => true, isStale: () => false, pause: () => () => {},
    } as unknown as EachBatchPayload);
  };
  return { sink, deliver, log, inserted, sent, commitRequests: () => commitRequests };
}

const message = (offset: number, value: Buffer): KafkaMessage =>
  ({ offset: String(offset), key: Buffer.from('spec-session'), value, timestamp: '1700000000000', attributes: 0, headers: {} }) as KafkaMessage;

describe('analytics sink (fakes passed in)', () => {
  it('loads a batch as rows and commits the offset after its last record only once the insert is done', async () => {
    const f = fakes();
    await f.sink.start();
    await f.deliver([10, 11, 12].map((o) => message(o, framed(edit(o)))));
    expect(f.inserted).toHaveLength(1);
    expect(f.inserted[0]!.table).toBe('edit_activity');
    expect(f.inserted[0]!.rows.map((r) => r.event_id)).toEqual(['spec-edit-10', 'spec-edit-11', 'spec-edit-12']);
    expect(f.log).toEqual(['insert edit_activity 3', `commit ${TOPIC}/0@13`]);
    await f.sink.stop();
  });

  it('commits the partitions one insert stored in one request', async () => {
    const f = fakes();
    await f.sink.start();
    await Promise.all([f.deliver([message(10, framed(edit(10)))], 0), f.deliver([message(4, framed(edit(4))), message(5, framed(edit(5)))], 1)]);
    expect(f.inserted).toHaveLength(1);
    expect(f.log).toEqual(['insert edit_activity 3', `commit ${TOPIC}/0@11`, `commit ${TOPIC}/1@6`]);
    expect(f.commitRequests()).toBe(1);
    await f.sink.stop();
  });

  it('skips records at or below the offset the warehouse already holds (a redelivery after a restart)', async () => {
    const f = fakes({ loadedUpTo: 11 });
    await f.sink.start();
    await f.deliver([10, 11, 12].map((o) => message(o, framed(edit(o)))));
    expect(f.inserted.flatMap((i) => i.rows.map((r) => r.event_id))).toEqual(['spec-edit-12']);
    expect(f.sink.status().skippedRedeliveries).toBe(2);
    expect(f.log.at(-1)).toBe(`commit ${TOPIC}/0@13`);
    await f.sink.stop();
  });

  it('stores no record an executor repeated to a client that asked again (its run is stored from the first), and commits past it', async () => {
    const f = fakes();
    await f.sink.start();
    const repeated = { ...message(31, framed(edit(31))), headers: { [REPEATED_RESULT_HEADER]: Buffer.from('1') } } as KafkaMessage;
    await f.deliver([message(30, framed(edit(30))), repeated, message(32, framed(edit(32)))]);
    expect(f.inserted.flatMap((i) => i.rows.map((r) => r.event_id))).toEqual(['spec-edit-30', 'spec-edit-32']);
    expect(f.sink.status().repeatedResults).toBe(1);
    expect(f.log.at(-1)).toBe(`commit ${TOPIC}/0@33`);
    await f.sink.stop();
  });

  it('dead-letters a record without the Confluent framing before the rows are stored, and loads the others', async () => {
    const f = fakes();
    await f.sink.start();
    await f.deliver([message(20, framed(edit(20))), message(21, Buffer.from('not avro at all')), message(22, framed(edit(22)))]);
    expect(f.sent).toEqual([{ topic: topics.dlq.name, count: 1 }]);
    expect(f.inserted.flatMap((i) => i.rows.map((r) => r.event_id))).toEqual(['spec-edit-20', 'spec-edit-22']);
    expect(f.log).toEqual([`send ${topics.dlq.name}`, 'insert edit_activity 2', `commit ${TOPIC}/0@23`]);
    expect(f.sink.status().deadLetters).toBe(1);
    await f.sink.stop();
  });
});

describe("the sink's Kafka clients", () => {
  it('consume with the long-lived consumers retry policy', () => {
    const configs: ConsumerConfig[] = [];
    const kafka = { consumer: (c: ConsumerConfig) => (configs.push(c), {}), producer: () => ({}), admin: () => ({}) } as unknown as Kafka;
    createSinkClients(kafka, 'spec-group');
    expect(configs[0]!.retry).toBe(CONSUMER_RETRY);
  });
});

describe("the sink's lag check", () => {
  it('reads its clients lag source (one request for all topics), not the admin per topic, and connects and disconnects it with the sink', async () => {
    const calls: string[] = [];
    const clients = {
      consumer: { connect: async () => {}, subscribe: async () => {}, stop: async () => {}, disconnect: async () => {}, events: { GROUP_JOIN: 'j' }, on: () => () => {}, run: async () => {}, commitOffsets: async () => {} },
      producer: { connect: async () => {}, disconnect: async () => {} },
      admin: { connect: async () => {}, disconnect: async () => {}, fetchTopicOffsets: async () => (calls.push('admin'), []), fetchOffsets: async () => (calls.push('admin'), []) },
      lag: {
        connect: async () => void calls.push('connect'), disconnect: async () => void calls.push('disconnect'),
        committed: async () => (calls.push('committed'), [{ topic: TOPIC, partitions: [{ partition: 0, offset: '4' }] }]),
        offsets: async (names: string[]) => (calls.push(`offsets ${names.join(',')}`), [{ topic: TOPIC, partitions: [{ partition: 0, offset: '9' }] }]),
      },
    } as unknown as SinkClients;
    const sink = createSink({ clients, registry: {} as Registry, warehouse: { kind: 'server' } as unknown as Warehouse, topics: [TOPIC], lagIntervalMs: 3_600_000 });
    await sink.start();
    expect(calls).toContain('connect');
    // (The start's one-off commitUncommittedEnds reads through the admin.)
    calls.length = 0;
    expect(await sink.refreshLag()).toEqual([{ topic: TOPIC, lag: 5, partitions: 1 }]);
    expect(sink.status().totalLag).toBe(5);
    await sink.stop();
    expect(calls).toEqual(['committed', `offsets ${TOPIC}`, 'disconnect']);
  });
});
