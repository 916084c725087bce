import type { Admin, Kafka } from 'kafkajs';
import { requirePinnedKafkajs } from '../../topics/kafkajs-internals';

export interface TopicLag { topic: string; lag: number; partitions: number }

/** Offsets of each partition of a topic, as strings (Kafka's int64); "-1": none. */
export type TopicOffsets = { topic: string; partitions: { partition: number; offset: string }[] };

/**
 * What a lag check reads. kafkajs's admin asks per topic, a Metadata and two
 * ListOffsets (end and start) each time: 6 topics every 5 s were ~4 requests a
 * second of an idle sink, more than its fetches and commits together
 * (docs/decisions/bench-baselines-and-hops.md, Sessions 16 and 17).
 * `clusterLagSource` asks once for all topics.
 */
export interface LagSource {
  /** The group's committed offset of every partition of these topics ("-1": none). */
  committed(groupId: string, topicNames: string[]): Promise<TopicOffsets[]>;
  /** Every partition's end offset (or, `earliest`, its first retained one). */
  offsets(topicNames: string[], earliest: boolean): Promise<TopicOffsets[]>;
  connect(): Promise<void>;
  disconnect(): Promise<void>;
}

/**
 * Lag per topic: end offsets minus committed offsets. A partition the group
 * never committed counts from the earliest retained record when the group
 * starts from the beginning, else as caught up. Pure: the spec hands in offsets.
 */
export function lagOf(topicNames: string[], committed: TopicOffsets[], ends: TopicOffsets[], starts: TopicOffsets[], fromBeginning: boolean): TopicLag[] {
  return topicNames.map((topic) => {
    const high = ends.find((e) => e.topic === topic)?.partitions ?? [];
    const mine = committed.find((c) => c.topic === topic)?.partitions ?? [];
    const low = starts.find((s) => s.topic === topic)?.partitions ?? [];
    let lag = 0;
    for (const p of high) {
      const c = Number(mine.find((m) => m.partition === p.partition)?.offset ?? -1);
      const end = Number(p.offset);
      const start = c >= 0 ? c : fromBeginning ? Number(low.find((l) => l.partition === p.partition)?.offset ?? end) : end;
      lag += Math.max(0, end - start);
    }
    return { topic, lag, partitions: high.length };
  });
}

/** Whether some partition of `ends` has no committed offset (only then does a group from the beginning need the starts). */
function uncommitted(committed: TopicOffsets[], ends: TopicOffsets[]): string[] {
  return ends
    .filter((e) => e.partitions.some((p) => Number(committed.find((c) => c.topic === e.topic)?.partitions.find((m) => m.partition === p.partition)?.offset ?? -1) < 0))
    .map((e) => e.topic);
}

/** A lag check through a LagSource: an OffsetFetch and one ListOffsets (a second only for uncommitted partitions read from the beginning). */
export async function readLag(source: LagSource, groupId: string, topicNames: string[], fromBeginning: boolean): Promise<TopicLag[]> {
  const [committed, ends] = await Promise.all([source.committed(groupId, topicNames), source.offsets(topicNames, false)]);
  const missing = fromBeginning ? uncommitted(committed, ends) : [];
  const starts = missing.length ? await source.offsets(missing, true) : [];
  return lagOf(topicNames, committed, ends, starts, fromBeginning);
}

/** The same figures through kafkajs's admin, per topic (ops tools that hold an admin already). */
export async function groupLag(admin: Admin, groupId: string, topicNames: string[], fromBeginning: boolean): Promise<TopicLag[]> {
  const committed = await admin.fetchOffsets({ groupId, topics: topicNames });
  const ends: TopicOffsets[] = [];
  const starts: TopicOffsets[] = [];
  for (const topic of topicNames) {
    const o = await admin.fetchTopicOffsets(topic);
    ends.push({ topic, partitions: o.map((p) => ({ partition: p.partition, offset: p.high })) });
    starts.push({ topic, partitions: o.map((p) => ({ partition: p.partition, offset: p.low })) });
  }
  return lagOf(topicNames, committed, ends, starts, fromBeginning);
}

/** The parts of kafkajs 2.2.4's Cluster (src/cluster/index.js) a lag check uses; not in its typed API, the version is pinned. */
interface ClusterInternals {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addMultipleTargetTopics(topics: string[]): Promise<void>;
  refreshMetadataIfNecessary(): Promise<void>;
  refreshMetadata(): Promise<void>;
  findTopicPartitionMetadata(topic: string): { partitionId: number }[];
  fetchTopicsOffset(topics: { topic: string; fromBeginning: boolean; partitions: { partition: number }[] }[]): Promise<TopicOffsets[]>;
  findGroupCoordinator(o: { groupId: string }): Promise<{ offsetFetch(o: { groupId: string; topics: { topic: string; partitions: { partition: number }[] }[] }): Promise<{ responses: TopicOffsets[] }> }>;
}

/** kafkajs's consumers' default metadataMaxAge. */
const METADATA_MAX_AGE_MS = 300_000;

/** kafkajs's Kafka builds a cluster (its brokers, TLS, SASL, retry) for each client under this private key. */
function createClusterOf(kafka: Kafka): (o: { allowAutoTopicCreation: boolean; metadataMaxAge: number }) => ClusterInternals {
  const key = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster');
  const create = key && (kafka as unknown as Record<symbol, unknown>)[key];
  if (typeof create !== 'function') throw new Error('consumers/sink/lag.ts: this kafkajs builds no cluster under private:Kafka:createCluster; update clusterLagSource.');
  return create.bind(kafka) as (o: { allowAutoTopicCreation: boolean; metadataMaxAge: number }) => ClusterInternals;
}

/**
 * A LagSource on a kafkajs cluster of its own: the offsets of all topics in one
 * ListOffsets per partition leader (one request on a single broker), the
 * group's in one OffsetFetch to a coordinator found once (and again after an
 * error), metadata refreshed every 5 min or after an error (a moved leader
 * answers NOT_LEADER: the next check asks the new one).
 */
export function clusterLagSource(kafka: Kafka): LagSource {
  requirePinnedKafkajs((installed) => `consumers/sink/lag.ts uses kafkajs 2.2.4's Cluster, but ${installed} is installed: check fetchTopicsOffset and findGroupCoordinator and update clusterLagSource.`);
  // An admin's cluster gets no metadataMaxAge, so its metadata is stale at once: a Metadata request before every
  // offsets request. Kept as long as a consumer keeps it (kafkajs's default, 5 min); an error refreshes it sooner.
  // Built at connect: a fake Kafka in a spec builds the sink's clients without one.
  let built: ClusterInternals | undefined;
  const cluster = () => (built ??= createClusterOf(kafka)({ allowAutoTopicCreation: false, metadataMaxAge: METADATA_MAX_AGE_MS }));
  const coordinators = new Map<string, ReturnType<ClusterInternals['findGroupCoordinator']>>();
  async function partitionsOf(topicNames: string[]) {
    await cluster().addMultipleTargetTopics(topicNames);
    await cluster().refreshMetadataIfNecessary();
    return topicNames.map((topic) => ({ topic, partitions: cluster().findTopicPartitionMetadata(topic).map((p) => ({ partition: p.partitionId })) }));
  }
  /** One try; a failure refreshes the metadata (and the coordinator) for the next check. */
  async function once<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      coordinators.clear();
      await cluster().refreshMetadata().catch(() => {});
      throw err;
    }
  }
  return {
    connect: () => cluster().connect(),
    disconnect: async () => built?.disconnect(),
    committed: (groupId, topicNames) =>
      once(async () => {
        const topics = await partitionsOf(topicNames);
        let coordinator = coordinators.get(groupId);
        if (!coordinator) coordinators.set(groupId, (coordinator = cluster().findGroupCoordinator({ groupId })));
        const { responses } = await (await coordinator).offsetFetch({ groupId, topics });
        return responses.map((r) => ({ topic: r.topic, partitions: r.partitions.map((p) => ({ partition: p.partition, offset: p.offset })) }));
      }),
    offsets: (topicNames, earliest) =>
      once(async () => cluster().fetchTopicsOffset((await partitionsOf(topicNames)).map((t) => ({ ...t, fromBeginning: earliest })))),
  };
}
