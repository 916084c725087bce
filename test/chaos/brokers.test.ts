import type { Admin, Kafka, Producer, ProducerRecord } from 'kafkajs';
import { brokerLeaderKill } from '../../ops/chaos/brokers';
import { chaosCluster, type ChaosCluster } from '../../ops/chaos/cluster';
import type { PeopleReport } from '../../ops/chaos/people';
import { traceRuns } from '../../ops/chaos/run-trail';
import { connectionSettings } from '../../topics/ground/connections';
import { createRegistry } from '../../topics/registry';
import { requestsTopic, topics } from '../../topics/catalog';
import { createKafka } from '../../topics/kafka';
import { idempotentProducer } from '../../topics/idempotent-producer';
import { sleep } from '../../topics/ground/retry';
import { until } from '../support/until';

/**
 * The 3-broker cluster and its chaos, short (the bench kills 3 times, each
 * broker down 10 s): the partition leaders' broker killed under load. The
 * single broker's restart is in services.test.ts.
 */
const say = (m: string) => process.env.CHAOS_VERBOSE && console.log(m);

let readers = 0;
/** Every value on a topic up to the end offsets it has now, read by a group of its own (30 s at most). */
async function readTopic(kafka: Kafka, admin: Admin, topic: string): Promise<string[]> {
  const high = (await admin.fetchTopicOffsets(topic)).reduce((n, o) => n + Number(o.high), 0);
  const values: string[] = [];
  const consumer = kafka.consumer({ groupId: `${topic}-reader-${++readers}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void values.push(message.value!.toString()) });
    const until = Date.now() + 30_000;
    while (values.length < high && Date.now() < until) await sleep(100);
  } finally {
    await consumer.disconnect();
  }
  return values;
}

/** A send tried again until every broker knows a new topic (a failed try goes out again on a new producer id: nothing doubles). */
async function sendUntilKnown(producer: Producer, record: ProducerRecord): Promise<void> {
  for (let tries = 0; ; tries++) {
    try {
      await producer.send(record);
      return;
    } catch (err) {
      if (tries >= 50) throw err;
      await sleep(200);
    }
  }
}

describe('a 3-broker cluster', () => {
  let cluster: ChaosCluster;
  beforeAll(async () => {
    cluster = await chaosCluster(say);
  }, 180_000);
  afterAll(async () => {
    await cluster?.stop();
  }, 60_000);

  it('replicates every topic 3 times with min.insync.replicas 2', async () => {
    const admin = createKafka(cluster.addresses, 'chaos-test').admin();
    await admin.connect();
    try {
      const meta = await admin.fetchTopicMetadata({ topics: [topics.edits.name, requestsTopic('x86_64').name, topics.results.name] });
      for (const t of meta.topics) for (const p of t.partitions) expect(p.replicas).toHaveLength(3);
      // Each broker loads new topics from the metadata log on its own: the one asked may not host the topic yet
      // ("This server does not host this topic-partition"), so ask until one answers.
      const value = await until('a broker to describe the edits topic', async () => {
        try {
          const { resources } = await admin.describeConfigs({ resources: [{ type: 2, name: topics.edits.name, configNames: ['min.insync.replicas'] }], includeSynonyms: false });
          return resources[0]!.configEntries.find((e) => e.configName === 'min.insync.replicas')?.configValue ?? 'absent';
        } catch (err) {
          if ((err as { type?: string }).type === 'UNKNOWN_TOPIC_OR_PARTITION') return null;
          throw err;
        }
      }, (v) => v !== null, 30_000);
      expect(value).toBe('2');
    } finally {
      await admin.disconnect();
    }
  });

  it('loses no acknowledged edit and no run when the partition leaders\' broker is killed with kill -9 under load', async () => {
    let report: PeopleReport | undefined;
    const row = await brokerLeaderKill({ cluster, kills: 1, downMs: 5000, people: 4, onProgress: say, onReport: (r) => (report = r) });
    console.log(JSON.stringify(row));
    // The trail a lost run would print (run-trail.ts) follows an answered one to its gateway.
    const answered = report!.runs.find((r) => r.status === 'ok')!;
    const [trail] = await traceRuns(createKafka(cluster.addresses, 'chaos-test'), createRegistry({ url: connectionSettings().registryUrl }), [answered.runId]);
    expect(trail!.hop).toBe('result read by its gateway');
    expect(trail!.results.map((r) => r.status)).toEqual(['ok']);
    expect(row.runs).toBeGreaterThan(4);
    expect(row.runsLost).toBe(0);
    expect(row.editsLost).toBe(0);
    expect(row.duplicates).toBe(0);
    expect(row.recoveryMs).not.toBeNull();
  }, 240_000);
  it('never drops a batch acknowledged after a failed send whose batch was written (the broker must not take it for a duplicate)', async () => {
    // Both followers stopped with SIGSTOP hold acks=all back: the send fails with its batch in the leader's log.
    const kafka = createKafka(cluster.addresses, 'chaos-sequence');
    const admin = kafka.admin();
    await admin.connect();
    const topic = `chaos-sequence-${Date.now()}`;
    let stopped: number[] = [];
    const producer = idempotentProducer(kafka, { retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 200 } });
    /** Until the partition has a leader and all three replicas in sync (a broker stopped or restarted before may still be catching up). */
    const inSync = async () => {
      for (let tries = 0; ; tries++) {
        const part = await admin.fetchTopicMetadata({ topics: [topic] }).then((m) => m.topics[0]!.partitions[0], () => undefined);
        if (part && part.leader >= 0 && part.isr.length === 3) return part;
        if (tries >= 300) throw new Error(`chaos-sequence: the partition never had 3 replicas in sync (${JSON.stringify(part)})`);
        await sleep(200);
      }
    };
    const sendSoon = (value: string) => sendUntilKnown(producer, { topic, acks: -1, messages: [{ key: 'k', value }] });
    try {
      await admin.createTopics({ waitForLeaders: false, topics: [{ topic, numPartitions: 1, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }] });
      await inSync();
      await producer.connect();
      await sendSoon('zeroth');
      const acknowledged = ['zeroth'];
      // A send that fails before its batch is written shows nothing (nothing to mistake the next one for): try again.
      let failed = 0;
      for (let attempt = 0; attempt < 5 && !failed; attempt++) {
        const part = await inSync();
        const followers = cluster.brokers.filter((b) => b.name !== `kafka-${part.leader}`);
        stopped = await Promise.all(followers.map(async (f) => (await f.state()).pid!));
        for (const pid of stopped) process.kill(pid, 'SIGSTOP');
        const first = `first-${attempt}`;
        const outcome = await producer.send({ topic, acks: -1, timeout: 500, messages: [{ key: 'k', value: first }] }).then(() => 'ok', () => 'failed');
        for (const pid of stopped) process.kill(pid, 'SIGCONT');
        stopped = [];
        await inSync();
        const written = (await readTopic(kafka, admin, topic)).includes(first);
        if (outcome === 'ok') acknowledged.push(first);
        else if (written) failed++;
        say(`chaos-sequence: attempt ${attempt}: the send with the followers stopped ${outcome}, its batch ${written ? '' : 'not '}written`);
        // As many records as the failed batch: under its sequence the broker would acknowledge it and drop it.
        await sendSoon(`second-${attempt}`);
        acknowledged.push(`second-${attempt}`);
      }
      const values = await readTopic(kafka, admin, topic);
      say(`chaos-sequence: ${values.join(', ')}`);
      expect(failed).toBe(1);
      // A failed batch may be there (at least once); every acknowledged one must be, once, in order.
      expect(values.filter((v) => acknowledged.includes(v))).toEqual(acknowledged);
    } finally {
      for (const pid of stopped) process.kill(pid, 'SIGCONT');
      await producer.disconnect();
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    }
  }, 180_000);
  it('delivers every partition of a send whose leader died, when the partition moves to a broker that already answered for its own (kafkajs issue 1303)', async () => {
    // The leader is stopped (SIGSTOP): its request times out (3 s), and a retry reads fresh metadata (0.5 s old at most).
    const kafka = createKafka(cluster.addresses, 'chaos-moved', { requestTimeout: 3000 });
    const admin = kafka.admin();
    await admin.connect();
    const topic = `chaos-moved-${Date.now()}`;
    const [a, b, c] = cluster.brokers.map((x) => Number(x.name.replace('kafka-', '')));
    const victim = cluster.brokers.find((x) => x.name === `kafka-${b}`)!;
    const producer = idempotentProducer(kafka, { metadataMaxAge: 500 });
    let stopped: number | null = null;
    try {
      // Partition 0 led by a; partition 1 led by b, with a its only other replica: b's death moves it to a.
      await admin.createTopics({ waitForLeaders: false, topics: [{ topic, replicaAssignment: [{ partition: 0, replicas: [a!, c!] }, { partition: 1, replicas: [b!, a!] }], configEntries: [{ name: 'min.insync.replicas', value: '1' }] }] });
      for (let tries = 0; ; tries++) {
        const parts = await admin.fetchTopicMetadata({ topics: [topic] }).then((m) => m.topics[0]!.partitions, () => []);
        const byId = new Map(parts.map((p) => [p.partitionId, p]));
        if (byId.get(0)?.leader === a && byId.get(1)?.leader === b && byId.get(1)?.isr.length === 2) break;
        if (tries >= 300) throw new Error(`chaos-moved: the partitions never had their preferred leaders (${JSON.stringify(parts)})`);
        await sleep(200);
      }
      await producer.connect();
      await sendUntilKnown(producer, { topic, acks: -1, messages: [0, 1].map((p) => ({ key: 'k', value: `warm-${p}`, partition: p })) });
      stopped = (await victim.state()).pid;
      process.kill(stopped!, 'SIGSTOP');
      // Broker a answers for partition 0 at once; partition 1's request times out, and once b is fenced (4 s) a leads it too.
      await producer.send({ topic, acks: -1, messages: [0, 1].map((p) => ({ key: 'k', value: `after-${p}`, partition: p })) });
      process.kill(stopped!, 'SIGCONT');
      stopped = null;
      const values = await readTopic(kafka, admin, topic);
      say(`chaos-moved: ${values.join(', ')}`);
      expect(values.filter((v) => v.startsWith('after-')).sort()).toEqual(['after-0', 'after-1']);
    } finally {
      if (stopped !== null) process.kill(stopped, 'SIGCONT');
      await producer.disconnect();
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    }
  }, 180_000);
});
