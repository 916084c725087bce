import type { Admin, Kafka } from 'kafkajs';
import { allTopics, type TopicSpec } from './catalog';
import type { Registry } from './registry';

export interface AppliedTopic { name: string; action: 'created' | 'updated' | 'unchanged'; partitions: number; schemaId: number }

/**
 * Makes the broker and the registry match the catalog: creates missing topics,
 * grows partition counts, sets configs, registers value schemas (BACKWARD).
 * Safe to run any number of times.
 */
export async function applyTopics(kafka: Kafka, registry: Registry, specs: TopicSpec[] = allTopics()): Promise<AppliedTopic[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existing.has(s.name));
    if (missing.length) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((s) => ({
          topic: s.name,
          numPartitions: s.partitions,
          replicationFactor: -1,
          configEntries: Object.entries(s.config).map(([name, value]) => ({ name, value })),
        })),
      });
    }
    const present = specs.filter((s) => existing.has(s.name));
    const out: AppliedTopic[] = [];
    const meta = present.length ? await admin.fetchTopicMetadata({ topics: present.map((s) => s.name) }) : { topics: [] };
    for (const s of present) {
      const have = meta.topics.find((t) => t.name === s.name)?.partitions.length ?? 0;
      if (have < s.partitions) await admin.createPartitions({ topicPartitions: [{ topic: s.name, count: s.partitions }] });
    }
    if (present.length) {
      await admin.alterConfigs({
        validateOnly: false,
        resources: present.map((s) => ({ type: 2 /* TOPIC */, name: s.name, configEntries: Object.entries(s.config).map(([name, value]) => ({ name, value })) })),
      });
    }
    for (const s of specs) {
      const schemaId = await registry.register(s);
      const created = missing.includes(s);
      const grown = !created && (meta.topics.find((t) => t.name === s.name)?.partitions.length ?? s.partitions) < s.partitions;
      out.push({ name: s.name, action: created ? 'created' : grown ? 'updated' : 'unchanged', partitions: s.partitions, schemaId });
    }
    return out;
  } finally {
    await admin.disconnect();
  }
}

export interface TopicListing { name: string; partitions: number; endOffsets: number; config: string; declared: boolean }

/** Topics on the broker with partition counts and the sum of their end offsets. */
export async function listTopics(kafka: Kafka, specs: TopicSpec[] = allTopics()): Promise<TopicListing[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const names = (await admin.listTopics()).filter((n) => !n.startsWith('__')).sort();
    const rows: TopicListing[] = [];
    for (const name of names) {
      const offsets = await admin.fetchTopicOffsets(name);
      const spec = specs.find((s) => s.name === name);
      rows.push({
        name,
        partitions: offsets.length,
        endOffsets: offsets.reduce((sum, o) => sum + Number(o.high), 0),
        config: spec ? Object.entries(spec.config).filter(([k]) => k === 'cleanup.policy' || k === 'retention.ms').map(([k, v]) => `${k}=${v}`).join(' ') : '',
        declared: spec !== undefined,
      });
    }
    return rows;
  } finally {
    await admin.disconnect();
  }
}

type OffsetAdmin = Pick<Admin, 'fetchOffsets' | 'fetchTopicOffsets' | 'setOffsets'>;

/**
 * Commits the end offset of every partition the group never committed, before
 * the group consumes. A consumer that starts "from the end" (fromBeginning:
 * false) resets an uncommitted partition to its end each time it (re)joins:
 * after a crash, a broker restart or its own restart, the records produced
 * there meanwhile were skipped. With a committed offset everywhere, it resumes
 * where it was. Skipped (returns 0) when the group has members already: they
 * hold its positions. Returns how many partitions it committed.
 */
export async function commitUncommittedEnds(admin: OffsetAdmin, groupId: string, topicNames: string[]): Promise<number> {
  const committed = await admin.fetchOffsets({ groupId, topics: topicNames });
  let n = 0;
  for (const topic of topicNames) {
    const have = new Map((committed.find((c) => c.topic === topic)?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
    const ends = await admin.fetchTopicOffsets(topic);
    const missing = ends.filter((e) => (have.get(e.partition) ?? -1) < 0).map((e) => ({ partition: e.partition, offset: e.high }));
    if (!missing.length) continue;
    try {
      await admin.setOffsets({ groupId, topic, partitions: missing });
      n += missing.length;
    } catch (err) {
      // A live member of the group: its commits stand.
      if ((err as { type?: string }).type === 'UNKNOWN_MEMBER_ID' || /running instances|not empty/i.test((err as Error).message)) return n;
      throw err;
    }
  }
  return n;
}
