import type { KafkaMessage } from 'kafkajs';
import type { TopicSpec } from './catalog';
import { decodeRetrying, TransientDecodeError } from './codec';
import type { Registry } from './registry';

export type Consumed<T> = { ok: true; value: T } | { ok: false; reason: string };

export interface ConsumedRetry {
  /** How long a schema registry that cannot be reached is waited for before the record is thrown back. */
  deadlineMs: number;
  /** The consumer stops: give up waiting (the record is thrown back, so never taken as handled). */
  stopped?: () => boolean;
  /** kafkajs beats only between messages: a long wait beats here, so the group keeps its member. */
  heartbeat?: () => Promise<void>;
  /** Told at every retry (log the first). */
  onRetry?: (reason: string, attempt: number) => void;
}

/**
 * Decodes a record a long-lived consumer was handed. A registry outage is
 * retried, then thrown as TransientDecodeError: the consumer must not mark the
 * record handled, and kafkajs reads it again (consumer-retry.ts). Only a value
 * that can never be decoded comes back as a failure, for the caller to skip or
 * dead-letter.
 */
export async function decodeConsumed<T>(registry: Registry, spec: TopicSpec<T>, message: KafkaMessage, retry: ConsumedRetry): Promise<Consumed<T>> {
  const d = await decodeRetrying(registry, message.value, spec, {
    deadlineMs: retry.deadlineMs,
    stopped: retry.stopped,
    onRetry: (reason, attempt) => {
      retry.onRetry?.(reason, attempt);
      retry.heartbeat?.().catch(() => {});
    },
  });
  if (d.ok) return d;
  if (d.transient) throw new TransientDecodeError(spec.name, d.reason);
  return { ok: false, reason: d.reason };
}
