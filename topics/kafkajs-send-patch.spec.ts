import { loadKafkajs } from './kafkajs-internals';

/**
 * patches/kafkajs+2.2.4.patch (applied by patch-package at postinstall): kafkajs's own
 * sendMessages, fed a fake cluster passed in. A partition whose leader dies and moves to a
 * broker that already acknowledged its own partitions must still be sent.
 */
type ProduceArgs = { producerId: number; topicData: { topic: string; partitions: { partition: number; firstSequence: number; messages: { value: string }[] }[] }[] };
const createSendMessages = loadKafkajs('kafkajs/src/producer/sendMessages') as (o: unknown) => (a: unknown) => Promise<{ topicName: string; partition: number; baseOffset: string }[]>;
const createRetry = loadKafkajs('kafkajs/src/retry') as (o: unknown) => unknown;
const { KafkaJSConnectionClosedError } = loadKafkajs('kafkajs/src/errors') as { KafkaJSConnectionClosedError: new (m: string, o: { host: string; port: number }) => Error };
const { DefaultPartitioner } = loadKafkajs('kafkajs/src/producer/partitioners') as { DefaultPartitioner: () => unknown };

function fakeCluster(leaders: Record<number, number>) {
  const sent: { broker: number; partitions: [number, number, string[]][] }[] = [];
  const failOnce = new Set<number>();
  const broker = (nodeId: number) => ({
    nodeId,
    produce: async (a: ProduceArgs) => {
      const partitions = a.topicData.flatMap((t) => t.partitions.map((p) => [p.partition, p.firstSequence, p.messages.map((m) => m.value)] as [number, number, string[]]));
      sent.push({ broker: nodeId, partitions });
      if (failOnce.delete(nodeId)) {
        // The leader died with the request on the wire; its partitions move to broker 1.
        for (const p of Object.keys(leaders)) if (leaders[+p] === nodeId) leaders[+p] = 1;
        throw new KafkaJSConnectionClosedError('Closed connection', { host: 'localhost', port: 9090 + nodeId });
      }
      return { topics: a.topicData.map((t) => ({ topicName: t.topic, partitions: t.partitions.map((p) => ({ partition: p.partition, errorCode: 0, baseOffset: '7' })) })) };
    },
  });
  const brokers = new Map([1, 2, 3].map((id) => [id, broker(id)]));
  const cluster = {
    targetTopics: new Set<string>(),
    addMultipleTargetTopics: async () => undefined,
    refreshMetadataIfNecessary: async () => undefined,
    refreshMetadata: async () => undefined,
    isConnected: () => true,
    removeBroker: () => undefined,
    findTopicPartitionMetadata: () => Object.keys(leaders).map((p) => ({ partitionId: +p, leader: leaders[+p] })),
    findLeaderForPartitions: (_topic: string, partitions: string[]) => {
      const out: Record<number, number[]> = {};
      for (const p of partitions) (out[leaders[+p]!] ??= []).push(+p);
      return out;
    },
    findBroker: async ({ nodeId }: { nodeId: string }) => brokers.get(+nodeId)!,
  };
  const sequences = new Map<string, number>();
  const eosManager = {
    acquireBrokerLock: async () => undefined,
    releaseBrokerLock: async () => undefined,
    isTransactional: () => false,
    getProducerId: () => 42,
    getProducerEpoch: () => 0,
    getSequence: (t: string, p: number) => sequences.get(`${t}/${p}`) ?? 0,
    updateSequence: (t: string, p: number, n: number) => void sequences.set(`${t}/${p}`, (sequences.get(`${t}/${p}`) ?? 0) + n),
  };
  const logger = { debug: () => undefined, error: () => undefined, warn: () => undefined, info: () => undefined };
  const send = createSendMessages({ logger, cluster, partitioner: DefaultPartitioner(), eosManager, retrier: createRetry({ initialRetryTime: 1, retries: 3 }) });
  return { send, sent, failOnce, sequences };
}

const messages = (partitions: number[]) => partitions.map((p) => ({ key: `k${p}`, value: `v${p}`, partition: p }));

describe('kafkajs sendMessages, as patched', () => {
  it('sends again a partition whose leader died and moved to a broker that had already answered, and resolves with every partition', async () => {
    const { send, sent, failOnce, sequences } = fakeCluster({ 0: 1, 1: 2 });
    failOnce.add(2);
    const result = await send({ acks: -1, timeout: 30000, topicMessages: [{ topic: 't', messages: messages([0, 1]) }] });
    expect(result.map((r) => `${r.topicName}/${r.partition}`).sort()).toEqual(['t/0', 't/1']);
    // Broker 1 answered for partition 0, broker 2 failed; the retry sends partition 1, and only it, to broker 1 under the same sequence.
    expect(sent.filter((s) => s.broker === 1).map((s) => s.partitions)).toEqual([[[0, 0, ['v0']]], [[1, 0, ['v1']]]]);
    expect([sequences.get('t/0'), sequences.get('t/1')]).toEqual([1, 1]);
  });

  it('never sends again a partition already acknowledged', async () => {
    const { send, sent, failOnce } = fakeCluster({ 0: 1, 1: 2, 2: 3 });
    failOnce.add(3);
    await send({ acks: -1, timeout: 30000, topicMessages: [{ topic: 't', messages: messages([0, 1, 2]) }] });
    const perPartition = new Map<number, number>();
    for (const s of sent) for (const [p] of s.partitions) perPartition.set(p, (perPartition.get(p) ?? 0) + 1);
    expect(Object.fromEntries(perPartition)).toEqual({ 0: 1, 1: 1, 2: 2 });
  });

  it('groups a keyless message into its partition once, so a retry cannot move it to one already acknowledged', async () => {
    const { send, sent, failOnce } = fakeCluster({ 0: 1, 1: 2 });
    failOnce.add(2);
    const keyless = Array.from({ length: 6 }, (_, i) => ({ value: `m${i}` }));
    await send({ acks: -1, timeout: 30000, topicMessages: [{ topic: 't', messages: keyless }] });
    const delivered = sent.flatMap((s, i) => (s.broker === 2 && i === sent.findIndex((x) => x.broker === 2) ? [] : s.partitions.flatMap(([, , v]) => v)));
    expect(delivered.sort()).toEqual(keyless.map((m) => m.value).sort());
  });
});
