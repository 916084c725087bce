import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { CONSUMER_FETCH_LIMITS, topics, type TopicSpec } from '../../topics/catalog';
import { decodeRetrying } from '../../topics/codec';
import type { Registry } from '../../topics/registry';
import type { ProgramSnapshot } from '../../topics/types';

/**
 * Reads the compacted programs.snapshots changelog for some partitions, up to
 * their end offsets, and hands every latest snapshot to `onSnapshot`. Used to
 * rebuild buffers when partitions move to this executor, and as the fallback
 * for a run whose text has not arrived.
 */
export async function readSnapshots(
  kafka: Kafka,
  registry: Registry,
  partitions: number[],
  onSnapshot: (s: ProgramSnapshot, partition: number) => void,
  spec: TopicSpec<ProgramSnapshot> = topics.snapshots,
): Promise<{ records: number; ms: number }> {
  const t0 = Date.now();
  if (!partitions.length) return { records: 0, ms: 0 };
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(spec.name);
  await admin.disconnect();
  const want = new Map<number, { low: number; high: number }>();
  for (const o of offsets) {
    if (partitions.includes(o.partition) && Number(o.high) > Number(o.low)) want.set(o.partition, { low: Number(o.low), high: Number(o.high) });
  }
  if (!want.size) return { records: 0, ms: Date.now() - t0 };

  // kafkajs has no manual assignment: a throwaway group reads the topic and
  // pauses the partitions we do not need.
  const consumer = kafka.consumer({ ...CONSUMER_FETCH_LIMITS, groupId: `conveyor-restore-${randomUUID()}`, maxWaitTimeInMs: 50, sessionTimeout: 10000 });
  await consumer.connect();
  await consumer.subscribe({ topic: spec.name, fromBeginning: true });
  let records = 0;
  const remaining = new Set(want.keys());
  await new Promise<void>((resolve, reject) => {
    // Compaction can remove the last offsets of a partition; never wait forever for them.
    const timer = setTimeout(resolve, 15000);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    consumer.on(consumer.events.GROUP_JOIN, () => {
      const skip = offsets.map((o) => o.partition).filter((p) => !want.has(p));
      if (skip.length) consumer.pause([{ topic: spec.name, partitions: skip }]);
    });
    consumer.on(consumer.events.CRASH, (e) => reject(e.payload.error));
    consumer
      .run({
        eachBatchAutoResolve: true,
        eachBatch: async ({ batch }) => {
          const w = want.get(batch.partition);
          if (!w) return;
          for (const m of batch.messages) {
            if (m.value) {
              // A registry outage is waited out (within the scan's own deadline), not taken for a bad snapshot.
              const d = await decodeRetrying(registry, m.value, spec, { deadlineMs: 15000 });
              if (d.ok) {
                onSnapshot(d.value, batch.partition);
                records++;
              }
            }
            if (Number(m.offset) + 1 >= w.high) remaining.delete(batch.partition);
          }
          if (!remaining.size) done();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return { records, ms: Date.now() - t0 };
}
