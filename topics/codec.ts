import type { Kafka, Producer, ProducerConfig, IHeaders, CompressionTypes } from 'kafkajs';
import type { TopicSpec } from './catalog';
import { schemaIdOf, type Registry } from './registry';

export interface OutgoingRecord<T> { key: string; value: T; partition?: number; headers?: IHeaders }

/**
 * A producer that knows the catalog: values are Avro-encoded against the
 * topic's registered schema, so every record on the wire carries its schema id.
 */
export interface TypedProducer {
  send<T>(spec: TopicSpec<T>, records: OutgoingRecord<T>[], opts?: { acks?: number; compression?: CompressionTypes }): Promise<void>;
  disconnect(): Promise<void>;
  readonly raw: Producer;
}

export async function createTypedProducer(kafka: Kafka, registry: Registry, config: ProducerConfig = {}): Promise<TypedProducer> {
  // Idempotent producer: retries never duplicate or reorder a session's events.
  const raw = kafka.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1, ...config });
  await raw.connect();
  return {
    raw,
    async send(spec, records, opts = {}) {
      const messages = await Promise.all(
        records.map(async (r) => ({ key: r.key, value: await registry.encode(spec, r.value), partition: r.partition, headers: r.headers })),
      );
      await raw.send({ topic: spec.name, messages, acks: opts.acks ?? -1, compression: opts.compression });
    },
    disconnect: () => raw.disconnect(),
  };
}

/**
 * Decodes a consumed value, into the topic's current schema when given its
 * spec; returns an error instead of throwing so callers can dead-letter it.
 */
export async function decodeValue<T>(registry: Registry, value: Buffer | null, spec?: TopicSpec<T>): Promise<{ ok: true; value: T } | { ok: false; reason: string }> {
  if (!value) return { ok: false, reason: 'The record has no value.' };
  const id = schemaIdOf(value);
  if (id === null) return { ok: false, reason: 'The value is not in the Confluent wire format (magic byte 0 and a schema id).' };
  try {
    return { ok: true, value: await registry.decode<T>(value, spec) };
  } catch (err) {
    return { ok: false, reason: `The value could not be decoded with schema id ${id}: ${(err as Error).message}` };
  }
}
