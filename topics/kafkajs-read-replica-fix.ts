import { loadKafkajs as load, requirePinnedKafkajs } from './kafkajs-internals';

/**
 * kafkajs 2.2.4 (pinned) works out, before every fetch, which broker to read
 * each assigned partition from (`findReadReplicaForPartitions`, per topic) by
 * a `reduce` that copies its whole result object and the node's partition
 * list for every partition: quadratic garbage, ~21 KB per Python run for an
 * executor's 3 × 24 partitions (an allocation sampling profile, Session 15).
 *
 * The replacement is the same walk (the same metadata match, preferred read
 * replica, expiry, offline check, logs and error) filling one result in
 * place; the spec compares result, side effects and logs with kafkajs's own.
 */
type PartitionMetadata = { partitionId: number; leader?: number | null; offlineReplicas?: number[] };
type Preferred = Record<number, { nodeId?: number; expireAt?: number } | undefined>;
export interface ConsumerGroupLike {
  cluster: { findTopicPartitionMetadata(topic: string): PartitionMetadata[] };
  preferredReadReplicasPerTopicPartition: Record<string, Preferred | undefined>;
  logger: { debug(message: string, extra: object): void };
  groupId: string;
  memberId: string | null;
}
type FindReadReplica = (this: ConsumerGroupLike, topic: string, partitions: (number | string)[]) => Record<number, number[]>;

/** kafkajs's ConsumerGroup class (not part of its typed API: the version is pinned). */
export const ConsumerGroup = load('kafkajs/src/consumer/consumerGroup') as { prototype: { findReadReplicaForPartitions: FindReadReplica } };
const { KafkaJSError } = load('kafkajs/src/errors') as { KafkaJSError: new (message: string, extra: object) => Error };
/** kafkajs's own, for the spec. */
export const original = { findReadReplicaForPartitions: ConsumerGroup.prototype.findReadReplicaForPartitions };

export function findReadReplicaForPartitions(this: ConsumerGroupLike, topic: string, partitions: (number | string)[]): Record<number, number[]> {
  const partitionMetadata = this.cluster.findTopicPartitionMetadata(topic);
  const preferredReadReplicas = this.preferredReadReplicasPerTopicPartition[topic];
  const result: Record<number, number[]> = {};
  for (const id of partitions) {
    const partitionId = parseInt(String(id), 10);
    // The first match, as kafkajs's `find`.
    let metadata: PartitionMetadata | undefined;
    for (const p of partitionMetadata) {
      if (p.partitionId === partitionId) {
        metadata = p;
        break;
      }
    }
    if (!metadata) continue;
    if (metadata.leader == null) throw new KafkaJSError('Invalid partition metadata', { topic, partitionId, metadata });
    // Pick the preferred replica if there is one, and it isn't known to be offline, otherwise the leader.
    let nodeId: number = metadata.leader;
    if (preferredReadReplicas) {
      // kafkajs destructures `entry || {}`: the same values without an object per partition.
      const entry = preferredReadReplicas[partitionId];
      const preferredReadReplica = entry ? entry.nodeId : undefined;
      const expireAt = entry ? entry.expireAt : undefined;
      if (Date.now() >= (expireAt as number)) {
        this.logger.debug('Preferred read replica information has expired, using leader', {
          topic, partitionId, groupId: this.groupId, memberId: this.memberId, preferredReadReplica, leader: metadata.leader,
        });
        delete preferredReadReplicas[partitionId];
      } else if (preferredReadReplica != null) {
        const offlineReplicas = metadata.offlineReplicas;
        if (Array.isArray(offlineReplicas) && offlineReplicas.includes(nodeId)) {
          this.logger.debug('Preferred read replica is offline, using leader', {
            topic, partitionId, groupId: this.groupId, memberId: this.memberId, preferredReadReplica, leader: metadata.leader,
          });
        } else {
          nodeId = preferredReadReplica;
        }
      }
    }
    (result[nodeId] ??= []).push(partitionId);
  }
  return result;
}

/** Installs the replacement once per process (topics/kafka.ts does, before any client exists). */
export function fixKafkajsReadReplica(): void {
  requirePinnedKafkajs((installed) => `topics/kafkajs-read-replica-fix.ts replaces a method of kafkajs 2.2.4, but ${installed} is installed: check that it still picks brokers the same way and update or remove the fix.`);
  ConsumerGroup.prototype.findReadReplicaForPartitions = findReadReplicaForPartitions;
}
