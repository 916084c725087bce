import type { KafkaMessage } from 'kafkajs';
import type { DeadLetter } from './types';

/**
 * The one way a consumer writes a record it cannot process to runs.dlq: the
 * record's bytes as they came, where they came from, a stable code and a
 * sentence. The id is the source position (`topic/partition/offset`), so a
 * record dead-lettered again after a redelivery carries the same id; `consumer`
 * says who gave up on it.
 */
export function deadLetterOf(
  m: KafkaMessage,
  where: { topic: string; partition: number },
  code: string,
  reason: string,
  consumer: string,
  runId: string | null = null,
): DeadLetter {
  return {
    id: `${where.topic}/${where.partition}/${m.offset}`,
    timestampMs: Date.now(),
    sourceTopic: where.topic,
    partition: where.partition,
    offset: Number(m.offset),
    key: m.key ? m.key.toString('utf8') : null,
    runId,
    code,
    reason,
    consumer,
    payload: m.value ?? null,
  };
}
