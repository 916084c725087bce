import { ConsumerGroup, findReadReplicaForPartitions, original, type ConsumerGroupLike } from './kafkajs-read-replica-fix';
import './kafka';

/** A consumer group's state as the method reads it, with the debug logs it writes. */
function group(now = Date.now()): ConsumerGroupLike & { logs: [string, object][] } {
  const logs: [string, object][] = [];
  return {
    logs,
    groupId: 'g', memberId: 'm-1',
    logger: { debug: (message, extra) => void logs.push([message, extra]) },
    cluster: {
      findTopicPartitionMetadata: (topic) => topic === 'a'
        ? [
          { partitionId: 0, leader: 1 }, { partitionId: 1, leader: 2 }, { partitionId: 2, leader: 1, offlineReplicas: [1] },
          { partitionId: 3, leader: 3 }, { partitionId: 4, leader: 2 }, { partitionId: 5, leader: 1 }, { partitionId: 1, leader: 9 },
        ]
        : [{ partitionId: 0, leader: null }],
    },
    preferredReadReplicasPerTopicPartition: {
      // 1: a valid preference; 2: its leader offline; 3: expired; 4: no node.
      a: { 1: { nodeId: 3, expireAt: now + 60_000 }, 2: { nodeId: 2, expireAt: now + 60_000 }, 3: { nodeId: 1, expireAt: now - 1 }, 4: { expireAt: now + 60_000 } },
    },
  };
}

describe('findReadReplicaForPartitions', () => {
  it('picks the same broker per partition as kafkajs, with the same side effects and logs', () => {
    for (const partitions of [[0, 1, 2, 3, 4, 5], ['5', '3', '1', 7, 0], [], [1, 1, 2]] as (number | string)[][]) {
      const now = Date.now();
      const ours = group(now);
      const theirs = group(now);
      expect(findReadReplicaForPartitions.call(ours, 'a', partitions)).toEqual(original.findReadReplicaForPartitions.call(theirs, 'a', partitions));
      expect(ours.preferredReadReplicasPerTopicPartition).toEqual(theirs.preferredReadReplicasPerTopicPartition);
      expect(ours.logs).toEqual(theirs.logs);
    }
    const g = group();
    expect(findReadReplicaForPartitions.call(g, 'a', [0, 1, 2, 3, 4, 5])).toEqual({ 1: [0, 2, 5], 2: [4], 3: [1, 3] });
    expect(g.preferredReadReplicasPerTopicPartition.a![3]).toBeUndefined();
  });

  it('uses the leader of a topic without preferences, and refuses a partition without a leader as kafkajs does', () => {
    const g = group();
    expect(findReadReplicaForPartitions.call(g, 'a', [])).toEqual({});
    g.preferredReadReplicasPerTopicPartition = {};
    expect(findReadReplicaForPartitions.call(g, 'a', [1, 2])).toEqual({ 2: [1], 1: [2] });
    expect(() => findReadReplicaForPartitions.call(g, 'b', [0])).toThrow('Invalid partition metadata');
    expect(() => original.findReadReplicaForPartitions.call(g, 'b', [0])).toThrow('Invalid partition metadata');
  });

  it('is what kafkajs consumers use, once topics/kafka.ts is loaded', () => {
    expect(ConsumerGroup.prototype.findReadReplicaForPartitions).toBe(findReadReplicaForPartitions);
  });
});
