import { loadKafkajs, requirePatchedKafkajs } from './kafkajs-internals';

/**
 * patches/kafkajs+2.2.4.patch: the admin's fetchTopicOffsets and
 * fetchTopicOffsetsByTimestamp retry, with new metadata, when the broker says
 * it is not (yet) the partition's leader. A KRaft broker answers ListOffsets
 * so for a topic created moments ago (its leader is in the metadata before it
 * has the log): the first `npm run bench` on a new machine stopped on it.
 * kafkajs 2.2.4 retried only UNKNOWN_TOPIC_OR_PARTITION.
 */
type Admin = {
  fetchTopicOffsets(topic: string): Promise<{ partition: number; high: string; low: string }[]>;
  fetchTopicOffsetsByTimestamp(topic: string, ts: number): Promise<{ partition: number; offset: string }[]>;
};
const createAdmin = loadKafkajs('kafkajs/src/admin') as (o: object) => Admin;
const { createErrorFromCode } = loadKafkajs('kafkajs/src/protocol/error') as { createErrorFromCode(code: number): Error & { type: string } };
const NOT_LEADER = 6;
const LEADER_NOT_AVAILABLE = 5;
const INVALID_REQUEST = 42;

const quietLogger = { namespace: () => quietLogger, info() {}, warn() {}, error() {}, debug() {} };

/** A cluster whose ListOffsets fails with `codes` in turn, then answers offset 7 for partition 0. */
function clusterFailing(codes: number[]) {
  const c = {
    listOffsetCalls: 0,
    metadataRefreshes: 0,
    async addTargetTopic() {},
    async refreshMetadataIfNecessary() {},
    async refreshMetadata() { c.metadataRefreshes++; },
    findTopicPartitionMetadata: () => [{ partitionId: 0 }],
    async fetchTopicsOffset(req: { topic: string }[]) {
      const code = codes[c.listOffsetCalls++];
      if (code !== undefined) throw createErrorFromCode(code);
      return [{ topic: req[0].topic, partitions: [{ partition: 0, offset: '7' }] }];
    },
  };
  return c;
}

const admin = (cluster: object) => createAdmin({ logger: quietLogger, retry: { initialRetryTime: 1, retries: 5 }, cluster });

describe('kafkajs admin offsets of a partition whose leader is not ready', () => {
  it('fetchTopicOffsets retries NOT_LEADER_OR_FOLLOWER with new metadata and answers', async () => {
    const cluster = clusterFailing([NOT_LEADER, NOT_LEADER]);
    expect(await admin(cluster).fetchTopicOffsets('t')).toEqual([{ partition: 0, offset: '7', high: '7', low: '7' }]);
    expect(cluster.metadataRefreshes).toBe(2);
  });

  it('fetchTopicOffsetsByTimestamp retries LEADER_NOT_AVAILABLE the same way', async () => {
    const cluster = clusterFailing([LEADER_NOT_AVAILABLE]);
    expect(await admin(cluster).fetchTopicOffsetsByTimestamp('t', 0)).toEqual([{ partition: 0, offset: '7' }]);
    expect(cluster.metadataRefreshes).toBe(1);
  });

  it('still gives up at once on an error that new metadata cannot cure', async () => {
    const cluster = clusterFailing([INVALID_REQUEST]);
    await expect(admin(cluster).fetchTopicOffsets('t')).rejects.toThrow(/malformed/);
    expect(cluster.listOffsetCalls).toBe(1);
  });

  it('gives up after its retries when the leader never comes', async () => {
    const cluster = clusterFailing(Array(20).fill(NOT_LEADER));
    await expect(admin(cluster).fetchTopicOffsets('t')).rejects.toThrow(/not the leader/i);
    expect(cluster.listOffsetCalls).toBe(6);
  });
});

describe('requirePatchedKafkajs', () => {
  const mark = '// Conveyor patch (patches/kafkajs+2.2.4.patch): …';
  it('accepts the installed kafkajs (npm install applied the whole patch)', () => {
    expect(() => requirePatchedKafkajs()).not.toThrow();
  });
  it('refuses a kafkajs patched by an older version of the patch (the admin without its mark)', () => {
    expect(() => requirePatchedKafkajs((f) => (f.endsWith('sendMessages') ? mark : 'module.exports = {}'))).toThrow(/not patched.*admin's offsets/);
  });
  it('refuses an unpatched kafkajs', () => {
    expect(() => requirePatchedKafkajs(() => '')).toThrow(/retried produce can lose acknowledged records/);
  });
});
