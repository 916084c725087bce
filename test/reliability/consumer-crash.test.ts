import { randomUUID } from 'node:crypto';
import type { Consumer } from 'kafkajs';
import { CONSUMER_FETCH_LIMITS, TOPIC_PREFIX } from '../../topics/catalog';
import { CONSUMER_RETRY } from '../../topics/consumer-retry';
import { runKeptAlive } from '../../topics/keep-running';
import { realInfra } from '../support/infra';
import { until } from '../support/until';

/**
 * A long-lived consumer that crashes with a cause kafkajs does not restart
 * (here a TypeError in its handler; on a broker restart, "Failed to find
 * group coordinator") is run again by runKeptAlive and reads the record it
 * crashed on: on the real broker, with kafkajs's own consumer.
 */
const { kafka } = realInfra('consumer-crash-test');
const topic = `${TOPIC_PREFIX}consumer-crash-${randomUUID().slice(0, 8)}`;
const admin = kafka.admin();
let consumer: Consumer | undefined;
let stopped = false;

beforeAll(async () => {
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: [{ key: 'k', value: 'the record' }] });
  await producer.disconnect();
}, 60000);

afterAll(async () => {
  stopped = true;
  await consumer?.disconnect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => {});
  await admin.disconnect();
}, 60000);

it('runs a consumer that crashed for good again, and it reads the record it crashed on', async () => {
  consumer = kafka.consumer({ ...CONSUMER_FETCH_LIMITS, groupId: `${topic}-group`, maxWaitTimeInMs: 100, retry: CONSUMER_RETRY });
  const crashes: boolean[] = [];
  consumer.on(consumer.events.CRASH, ({ payload }) => void crashes.push(payload.restart));
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const read: string[] = [];
  let calls = 0;
  const errors: string[] = [];
  await runKeptAlive(
    consumer,
    {
      eachMessage: async ({ message }) => {
        // A bug in the handler, once: kafkajs calls a TypeError unrecoverable and will not restart the consumer.
        if (++calls === 1) throw new TypeError('a handler bug');
        read.push(message.value!.toString());
      },
    },
    { name: 'spec', logger: { error: (_f, m) => void errors.push(m ?? '') }, stopped: () => stopped, againMs: 500 },
  );
  await until('the record read after the crash', () => read, (r) => r.length > 0, 30000);
  expect(read).toEqual(['the record']);
  expect(crashes[0]).toBe(false);
  expect(errors).toContain('consumer crashed and kafkajs will not restart it; running it again');
});
