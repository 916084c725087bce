import type { Kafka } from 'kafkajs';
import { CONSUMER_FETCH_LIMITS } from '../../topics/catalog';

export type GroupOffsets = Map<string, { partition: number; offset: string }[]>;

/** The current end offsets of topics, e.g. to start a new group "from now". */
export async function endOffsets(kafka: Kafka, topicNames: string[]): Promise<GroupOffsets> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends: GroupOffsets = new Map();
    for (const topic of topicNames) ends.set(topic, (await admin.fetchTopicOffsets(topic)).map((p) => ({ partition: p.partition, offset: p.high })));
    return ends;
  } finally {
    await admin.disconnect();
  }
}

/**
 * Sets a consumer group's committed offsets for many topics with one short
 * group membership (admin.setOffsets joins the group once per topic). The
 * group must have no other members, as with admin.setOffsets.
 */
export async function commitGroupOffsets(kafka: Kafka, groupId: string, offsets: GroupOffsets): Promise<void> {
  const member = kafka.consumer({ ...CONSUMER_FETCH_LIMITS, groupId, sessionTimeout: 10_000 });
  await member.connect();
  try {
    const joined = new Promise<void>((resolve) => member.on(member.events.GROUP_JOIN, () => resolve()));
    await member.subscribe({ topics: [...offsets.keys()], fromBeginning: false });
    await member.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: async () => {} });
    await joined;
    await member.commitOffsets([...offsets].flatMap(([topic, parts]) => parts.map((p) => ({ topic, partition: p.partition, offset: p.offset }))));
  } finally {
    await member.disconnect();
  }
}
