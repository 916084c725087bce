import type { Consumer, Kafka } from 'kafkajs';
import { CONSUMER_FETCH_LIMITS, executorGroupId } from '../../topics/catalog';
import { CONSUMER_RETRY } from '../../topics/consumer-retry';
import { CoPartitionAssigner } from './co-partition-assigner';
import type { ExecutorSettings } from './settings';

/**
 * How long the executor's fetch waits at the broker when nothing is new. A record ends the wait at once (the
 * fetch asks for one byte), so it sets no latency: only how often an idle executor asks, and how long a stop
 * or a rejoin waits for the fetch in flight. kafkajs beats after each fetch, at most every heartbeatInterval
 * (1 s here), so a second's wait keeps the beat where it was and halves the idle fetches (2 → 1 a second,
 * each one a request over 3 × 24 partitions that the broker and the executor handle for nothing).
 */
export const EXECUTOR_FETCH_WAIT_MS = 1000;

/** The Kafka consumer an executor of one hardware class runs on: its group, the co-partition assigner, timeouts from settings, the long-lived consumers' retry. */
export function createExecutorConsumer(kafka: Kafka, settings: ExecutorSettings): Consumer {
  return kafka.consumer({
    ...CONSUMER_FETCH_LIMITS,
    groupId: executorGroupId(settings.EXECUTOR_HARDWARE_CLASS, settings.EXECUTOR_TOPIC_NAMESPACE),
    partitionAssigners: [CoPartitionAssigner],
    sessionTimeout: settings.EXECUTOR_SESSION_TIMEOUT_MS,
    heartbeatInterval: Math.min(1000, Math.floor(settings.EXECUTOR_SESSION_TIMEOUT_MS / 4)),
    rebalanceTimeout: 30000,
    maxWaitTimeInMs: EXECUTOR_FETCH_WAIT_MS,
    allowAutoTopicCreation: false,
    retry: CONSUMER_RETRY,
  });
}
