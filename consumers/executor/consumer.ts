import type { Consumer, Kafka } from 'kafkajs';
import { CONSUMER_FETCH_LIMITS, LIVE_FETCH_WAIT_MS, executorGroupId } from '../../topics/catalog';
import { CONSUMER_RETRY } from '../../topics/consumer-retry';
import { CoPartitionAssigner } from './co-partition-assigner';
import type { ExecutorSettings } from './settings';

/** The Kafka consumer an executor of one hardware class runs on: its group, the co-partition assigner, timeouts from settings, the long-lived consumers' retry. */
export function createExecutorConsumer(kafka: Kafka, settings: ExecutorSettings): Consumer {
  return kafka.consumer({
    ...CONSUMER_FETCH_LIMITS,
    groupId: executorGroupId(settings.EXECUTOR_HARDWARE_CLASS, settings.EXECUTOR_TOPIC_NAMESPACE),
    partitionAssigners: [CoPartitionAssigner],
    sessionTimeout: settings.EXECUTOR_SESSION_TIMEOUT_MS,
    heartbeatInterval: Math.min(1000, Math.floor(settings.EXECUTOR_SESSION_TIMEOUT_MS / 4)),
    rebalanceTimeout: 30000,
    maxWaitTimeInMs: LIVE_FETCH_WAIT_MS,
    allowAutoTopicCreation: false,
    retry: CONSUMER_RETRY,
  });
}
