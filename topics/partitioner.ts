import { randomBytes } from 'node:crypto';
import type { ICustomPartitioner } from 'kafkajs';

/**
 * Kafka's own murmur2 (the Java client's `Utils.murmur2`, which kafkajs's
 * DefaultPartitioner copies) in 32-bit integer arithmetic. kafkajs computes it
 * with its BigInt-backed `Long`, a few objects per 4 bytes of key: ~11 µs for a
 * run id, paid by every keyed record (results, output chunks, load reports,
 * snapshots). Only the low 32 bits of kafkajs's 64-bit products are ever read,
 * so the hash is the same (the spec checks it against kafkajs's).
 */
export function murmur2(data: Buffer): number {
  const m = 0x5bd1e995;
  const length = data.length;
  let h = 0x9747b28c ^ length;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = data[i4]! | (data[i4 + 1]! << 8) | (data[i4 + 2]! << 16) | (data[i4 + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const tail = length & ~3;
  const rest = length & 3;
  if (rest === 3) h ^= data[tail + 2]! << 16;
  if (rest >= 2) h ^= data[tail + 1]! << 8;
  if (rest >= 1) h = Math.imul(h ^ data[tail]!, m);
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

const toPositive = (x: number) => x & 0x7fffffff;

/**
 * kafkajs's DefaultPartitioner (Java-compatible: the same key lands on the same
 * partition as with any Kafka client), with the murmur2 above, and the
 * partitions with a leader filtered only for a record with neither partition
 * nor key (kafkajs filtered them for every record).
 */
export const DefaultPartitioner: ICustomPartitioner = () => {
  const counters = new Map<string, number>();
  return ({ topic, partitionMetadata, message }) => {
    if (message.partition !== null && message.partition !== undefined) return message.partition;
    const numPartitions = partitionMetadata.length;
    if (message.key !== null && message.key !== undefined) {
      const key = Buffer.isBuffer(message.key) ? message.key : Buffer.from(String(message.key));
      return toPositive(murmur2(key)) % numPartitions;
    }
    let counter = counters.get(topic);
    if (counter === undefined) counter = randomBytes(32).readUInt32BE(0);
    counters.set(topic, ++counter);
    const available = partitionMetadata.filter((p) => p.leader >= 0);
    if (available.length > 0) return available[toPositive(counter) % available.length]!.partitionId;
    return toPositive(counter) % numPartitions;
  };
};
