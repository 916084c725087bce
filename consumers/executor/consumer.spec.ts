import type { ConsumerConfig, Kafka } from 'kafkajs';
import { CONSUMER_RETRY } from '../../topics/consumer-retry';
import { createExecutorConsumer, EXECUTOR_FETCH_WAIT_MS } from './consumer';
import { executorSettings } from './settings';

describe("the executor's group member", () => {
  it('rides out a broker outage with the long-lived consumers retry policy, not kafka.consumer()s five quick retries', () => {
    const configs: ConsumerConfig[] = [];
    const kafka = { consumer: (c: ConsumerConfig) => (configs.push(c), {}) } as unknown as Kafka;
    createExecutorConsumer(kafka, executorSettings({ EXECUTOR_HARDWARE_CLASS: 'x86_64' }));
    expect(configs[0]!.retry).toBe(CONSUMER_RETRY);
  });

  it('waits a second at the broker when nothing is new, no longer than its heartbeat interval (a beat after each fetch)', () => {
    const configs: ConsumerConfig[] = [];
    const kafka = { consumer: (c: ConsumerConfig) => (configs.push(c), {}) } as unknown as Kafka;
    createExecutorConsumer(kafka, executorSettings({ EXECUTOR_HARDWARE_CLASS: 'x86_64' }));
    expect(configs[0]!.maxWaitTimeInMs).toBe(EXECUTOR_FETCH_WAIT_MS);
    expect(EXECUTOR_FETCH_WAIT_MS).toBe(1000);
    expect(configs[0]!.maxWaitTimeInMs).toBeLessThanOrEqual(configs[0]!.heartbeatInterval!);
  });
});
