import { randomUUID } from 'node:crypto';
import { createRangeReader } from '../../stream-processors/replay/range-reader';
import { RECORD_MAX_BYTES } from '../../topics/catalog';
import { realInfra } from '../support/infra';

const { kafka } = realInfra('range-reader-test');
const topic = `test.range-reader.${randomUUID().slice(0, 8)}`;
const PARTITIONS = 4;

beforeAll(async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1, configEntries: [{ name: 'max.message.bytes', value: String(RECORD_MAX_BYTES) }] }],
  });
  await admin.disconnect();
});

afterAll(async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => {});
  await admin.disconnect();
});

describe('range reader', () => {
  // A result of a run that flooded its output is several MiB. kafkajs drops a batch that a fetch cut short and
  // fetches the same offset again, so a reader that can take less than a topic's largest record stood still on it
  // (the warehouse rebuild hung after the output-limit tests had written such results).
  it('reads every partition to its end when one holds records near the topic limit among small ones', async () => {
    const big = Buffer.alloc(RECORD_MAX_BYTES - 64 * 1024, 0x61);
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    for (let p = 0; p < PARTITIONS; p++) {
      await producer.send({ topic, acks: -1, messages: Array.from({ length: 5 }, (_, i) => ({ partition: p, key: `small-${p}-${i}`, value: `v${i}` })) });
    }
    for (const p of [1, 2]) await producer.send({ topic, acks: -1, messages: [{ partition: p, key: `big-${p}`, value: big }] });
    for (let p = 0; p < PARTITIONS; p++) await producer.send({ topic, acks: -1, messages: [{ partition: p, key: `after-${p}`, value: 'tail' }] });
    await producer.disconnect();

    const reader = await createRangeReader(kafka, [topic]);
    try {
      const seen: string[] = [];
      const ranges = Array.from({ length: PARTITIONS }, (_, p) => ({ topic, partition: p, from: 0, to: p === 1 || p === 2 ? 7 : 6 }));
      const r = await reader.read(ranges, (m) => {
        seen.push(String(m.key));
      }, { timeoutMs: 60000 });
      expect(r.records).toBe(4 * 6 + 2);
      expect(seen.filter((k) => k.startsWith('big-')).sort()).toEqual(['big-1', 'big-2']);
      expect(seen.filter((k) => k.startsWith('after-')).sort()).toEqual(['after-0', 'after-1', 'after-2', 'after-3']);
    } finally {
      await reader.close();
    }
  }, 120000);
});
