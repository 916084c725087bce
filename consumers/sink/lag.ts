import type { Admin } from 'kafkajs';

export interface TopicLag { topic: string; lag: number; partitions: number }

/**
 * Lag of a consumer group per topic: end offsets minus committed offsets.
 * A partition the group never committed counts from the earliest retained
 * record when the group starts from the beginning, else as caught up.
 */
export async function groupLag(admin: Admin, groupId: string, topicNames: string[], fromBeginning: boolean): Promise<TopicLag[]> {
  const committed = await admin.fetchOffsets({ groupId, topics: topicNames });
  const out: TopicLag[] = [];
  for (const topic of topicNames) {
    const ends = await admin.fetchTopicOffsets(topic);
    const mine = committed.find((c) => c.topic === topic)?.partitions ?? [];
    let lag = 0;
    for (const p of ends) {
      const c = Number(mine.find((m) => m.partition === p.partition)?.offset ?? -1);
      const high = Number(p.high);
      const start = c >= 0 ? c : fromBeginning ? Number(p.low) : high;
      lag += Math.max(0, high - start);
    }
    out.push({ topic, lag, partitions: ends.length });
  }
  return out;
}
