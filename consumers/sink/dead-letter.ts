import type { KafkaMessage } from 'kafkajs';
import type { DeadLetter } from '../../topics/types';

export type DeadLetterCode = 'undecodable' | 'invalid_record';

/** Decoding failures that retrying cannot fix: bad bytes, unknown schema id. */
export function isPermanentDecodeError(err: unknown): boolean {
  const e = err as { status?: number; name?: string; message?: string };
  if (e?.status === 404 || e?.status === 422) return true;
  if (e?.name && /ArgumentError|SyntaxError|RangeError/.test(e.name)) return true;
  return /magic byte|truncated|invalid|schema not found|no schema|unknown|out of range|trailing/i.test(e?.message ?? '');
}

export function deadLetterOf(
  m: KafkaMessage,
  where: { topic: string; partition: number },
  code: DeadLetterCode,
  reason: string,
  consumer: string,
): DeadLetter {
  return {
    id: `${where.topic}/${where.partition}/${m.offset}`,
    timestampMs: Date.now(),
    sourceTopic: where.topic,
    partition: where.partition,
    offset: Number(m.offset),
    key: m.key ? m.key.toString('utf8') : null,
    runId: null,
    code,
    reason,
    consumer,
    payload: m.value ?? null,
  };
}
