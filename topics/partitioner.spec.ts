import { randomBytes, randomUUID } from 'node:crypto';
import { Partitioners } from 'kafkajs';
import { loadKafkajs } from './kafkajs-internals';
import { DefaultPartitioner, murmur2 } from './partitioner';

const kafkajsMurmur2 = loadKafkajs('kafkajs/src/producer/partitioners/default/murmur2') as (key: Buffer | string) => number;

const metadata = (n: number, leaderless: number[] = []) =>
  Array.from({ length: n }, (_, i) => ({ partitionErrorCode: 0, partitionId: i, leader: leaderless.includes(i) ? -1 : 0, replicas: [0], isr: [0], offlineReplicas: [] }));

describe('murmur2 and the default partitioner', () => {
  it("hashes every length and byte like kafkajs's (Kafka's) murmur2", () => {
    const keys: Buffer[] = [Buffer.alloc(0)];
    for (let len = 1; len <= 64; len++) for (let i = 0; i < 20; i++) keys.push(randomBytes(len));
    keys.push(Buffer.from('run-ä€😀-key'), Buffer.from(randomUUID()), Buffer.alloc(13, 0xff));
    for (const k of keys) expect([k.toString('hex'), murmur2(k)]).toEqual([k.toString('hex'), kafkajsMurmur2(k)]);
  });

  it("puts every keyed record on the partition kafkajs's DefaultPartitioner chooses", () => {
    const ours = DefaultPartitioner();
    const theirs = Partitioners.DefaultPartitioner();
    for (const n of [1, 3, 24, 100]) {
      const partitionMetadata = metadata(n, n > 3 ? [2] : []);
      for (let i = 0; i < 300; i++) {
        const message = { key: i % 2 ? randomUUID() : Buffer.from(randomUUID()), value: 'v' };
        expect(ours({ topic: 't', partitionMetadata, message })).toBe(theirs({ topic: 't', partitionMetadata, message }));
      }
    }
  });

  it('keeps a given partition, and spreads keyless records over the partitions with a leader only', () => {
    const p = DefaultPartitioner();
    const partitionMetadata = metadata(6, [1, 4]);
    expect(p({ topic: 't', partitionMetadata, message: { partition: 4, key: 'k', value: 'v' } })).toBe(4);
    const seen = new Set<number>();
    for (let i = 0; i < 40; i++) seen.add(p({ topic: 't', partitionMetadata, message: { value: 'v' } }));
    expect([...seen].sort()).toEqual([0, 2, 3, 5]);
    expect(p({ topic: 'u', partitionMetadata: metadata(3, [0, 1, 2]), message: { value: 'v' } })).toBeLessThan(3);
  });
});
