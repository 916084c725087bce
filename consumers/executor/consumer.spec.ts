import type { ConsumerConfig, Kafka } from 'kafkajs';
import { CONSUMER_RETRY } from '../../topics/consumer-retry';
import { createExecutorConsumer } from './consumer';
import { executorSettings } from './settings';

describe("the executor's group member", () => {
  it('rides out a broker outage with the long-lived consumers retry policy, not kafka.consumer()s five quick retries', () => {
    const configs: ConsumerConfig[] = [];
    const kafka = { consumer: (c: ConsumerConfig) => (configs.push(c), {}) } as unknown as Kafka;
    createExecutorConsumer(kafka, executorSettings({ EXECUTOR_HARDWARE_CLASS: 'x86_64' }));
    expect(configs[0]!.retry).toBe(CONSUMER_RETRY);
  });
});
