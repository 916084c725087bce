import type { Kafka, Producer, ProducerConfig, IHeaders, CompressionTypes } from 'kafkajs';
import type { TopicSpec } from './catalog';
import { RegistryError, schemaIdOf, type Registry } from './registry';
import { retryUntilDone } from './ground/retry';
import { idempotentProducer } from './idempotent-producer';

export interface OutgoingRecord<T> {
  key: string;
  value: T;
  partition?: number;
  headers?: IHeaders;
  /** `value` already encoded by its topic's encoder (registry.encoderNow): the batching sender sends these bytes instead of encoding it again. */
  encoded?: Buffer;
}
export interface EncodedRecord { key: string; value: Buffer; partition?: number; headers?: IHeaders }

/** A record batch's own header, and what each record adds besides its key, value and headers (varints, attributes, deltas). */
const BATCH_OVERHEAD_BYTES = 1024;
const RECORD_OVERHEAD_BYTES = 64;

/** A record larger than its topic accepts: permanent, never worth a retry. */
export class RecordTooLargeError extends Error {
  readonly code = 'record_too_large';
  constructor(readonly topic: string, readonly bytes: number, readonly limit: number) {
    super(`A record of ${bytes} bytes does not fit topic ${topic} (at most ${limit} bytes).`);
    this.name = 'RecordTooLargeError';
  }
}

/** The bytes a record occupies in a record batch (an upper bound). */
export function recordBytes(m: EncodedRecord): number {
  let n = RECORD_OVERHEAD_BYTES + m.value.length + Buffer.byteLength(m.key);
  for (const [k, v] of Object.entries(m.headers ?? {})) n += Buffer.byteLength(k) + (v === undefined ? 0 : Buffer.isBuffer(v) ? v.length : Buffer.byteLength(String(v)));
  return n;
}

/** Bytes a produce request may carry for one topic, so every partition's batch fits max.message.bytes. */
export const batchBudget = (spec: Pick<TopicSpec, 'maxRecordBytes'>) => spec.maxRecordBytes - BATCH_OVERHEAD_BYTES;

/** Throws RecordTooLargeError for a record its topic would refuse; returns its size. */
export function checkRecordSize(spec: Pick<TopicSpec, 'name' | 'maxRecordBytes'>, m: EncodedRecord): number {
  const bytes = recordBytes(m);
  if (bytes > batchBudget(spec)) throw new RecordTooLargeError(spec.name, bytes, batchBudget(spec));
  return bytes;
}

/** Splits records, in order, into groups whose sizes fit one batch of the topic. */
export function splitForBatches<M extends EncodedRecord>(spec: Pick<TopicSpec, 'name' | 'maxRecordBytes'>, messages: M[]): M[][] {
  const groups: M[][] = [];
  let current: M[] = [];
  let bytes = 0;
  for (const m of messages) {
    const n = checkRecordSize(spec, m);
    if (current.length && bytes + n > batchBudget(spec)) (groups.push(current), (current = []), (bytes = 0));
    current.push(m);
    bytes += n;
  }
  if (current.length) groups.push(current);
  return groups;
}

/**
 * A producer that knows the catalog: values are Avro-encoded against the
 * topic's registered schema, so every record on the wire carries its schema id.
 * Records are checked against the topic's size limit before they are sent.
 */
export interface TypedProducer {
  send<T>(spec: TopicSpec<T>, records: OutgoingRecord<T>[], opts?: { acks?: number; compression?: CompressionTypes }): Promise<void>;
  disconnect(): Promise<void>;
  readonly raw: Producer;
}

export async function createTypedProducer(kafka: Kafka, registry: Registry, config: ProducerConfig = {}): Promise<TypedProducer> {
  // Idempotent producer: retries never duplicate or reorder a session's events, and a failed send never swallows the next one.
  const raw = idempotentProducer(kafka, config);
  await raw.connect();
  return {
    raw,
    async send(spec, records, opts = {}) {
      const messages = await Promise.all(
        records.map(async (r) => ({ key: r.key, value: await registry.encode(spec, r.value), partition: r.partition, headers: r.headers })),
      );
      // In order, one request after the other: each partition's batch stays within the topic's limit.
      for (const group of splitForBatches(spec, messages)) {
        await raw.send({ topic: spec.name, messages: group, acks: opts.acks ?? -1, compression: opts.compression });
      }
    },
    disconnect: () => raw.disconnect(),
  };
}

export type Decoded<T> = { ok: true; value: T } | { ok: false; reason: string; transient: boolean };

/** Registry outages are transient; a value that is not Avro of a known schema is not. */
export function isTransientDecodeError(err: unknown): boolean {
  return err instanceof RegistryError ? err.code === 'registry_unavailable' : false;
}

/**
 * Decodes a consumed value, into the topic's current schema when given its
 * spec; returns an error instead of throwing. `transient` tells a registry
 * that cannot be reached (retry; the record is fine) from a record that can
 * never be decoded (dead-letter it).
 */
export async function decodeValue<T>(registry: Registry, value: Buffer | null, spec?: TopicSpec<T>): Promise<Decoded<T>> {
  const now = decodeValueNow(registry, value, spec);
  if (now) return now;
  const id = schemaIdOf(value)!;
  try {
    return { ok: true, value: await registry.decode<T>(value!, spec) };
  } catch (err) {
    return couldNotDecode(id, err);
  }
}

const couldNotDecode = (id: number, err: unknown): Decoded<never> => ({
  ok: false, reason: `The value could not be decoded with schema id ${id}: ${(err as Error).message}`, transient: isTransientDecodeError(err),
});

/**
 * decodeValue without a promise: the answer when the value's writer schema is
 * known already (nearly every record of a long-lived consumer), undefined when
 * it must be fetched first (then use decodeValue or decodeRetrying).
 */
export function decodeValueNow<T>(registry: Registry, value: Buffer | null, spec?: TopicSpec<T>): Decoded<T> | undefined {
  if (!value) return { ok: false, reason: 'The record has no value.', transient: false };
  const id = schemaIdOf(value);
  if (id === null) return { ok: false, reason: 'The value is not in the Confluent wire format (magic byte 0 and a schema id).', transient: false };
  try {
    const decoded = registry.decodeNow<T>(value, spec);
    return decoded === undefined ? undefined : { ok: true, value: decoded };
  } catch (err) {
    return couldNotDecode(id, err);
  }
}

export interface DecodeRetry {
  /** Give up retrying a transient failure after this long; the last failure is returned (still transient). */
  deadlineMs: number;
  initialMs?: number;
  maxMs?: number;
  /** Stop retrying early (a consumer that stops). */
  stopped?: () => boolean;
  onRetry?: (reason: string, attempt: number) => void;
}

/** decodeValue, retrying transient failures with backoff (the one retry primitive) until they pass or the deadline does. */
export async function decodeRetrying<T>(registry: Registry, value: Buffer | null, spec: TopicSpec<T> | undefined, retry: DecodeRetry): Promise<Decoded<T>> {
  // Nearly every record decodes at the first attempt: the retry machinery (closures, a deadline) is built only for the others.
  const first = decodeValueNow(registry, value, spec) ?? (await decodeValue(registry, value, spec));
  if (first.ok || !first.transient) return first;
  const until = Date.now() + retry.deadlineMs;
  let last: Decoded<T> | undefined;
  let firstAttempt: Decoded<T> | undefined = first;
  try {
    return await retryUntilDone(
      async () => {
        // The loop's first attempt is the one made above: attempts, backoff and onRetry stay as they were.
        const d = firstAttempt ?? (await decodeValue(registry, value, spec));
        firstAttempt = undefined;
        if (d.ok || !d.transient) return d;
        last = d;
        throw new Error(d.reason);
      },
      { initialMs: retry.initialMs ?? 100, maxMs: retry.maxMs ?? 2000 },
      { retryable: () => Date.now() < until && !retry.stopped?.(), onRetry: (err, attempt) => retry.onRetry?.(err.message, attempt) },
    );
  } catch (err) {
    if (last) return last;
    throw err;
  }
}

/** A transient decode failure that outlived its deadline: the consumer throws it so the record is fetched again, never dead-lettered. */
export class TransientDecodeError extends Error {
  readonly code = 'registry_unavailable';
  constructor(topic: string, reason: string) {
    super(`Record of ${topic} not decodable for now (will be fetched again): ${reason}`);
    this.name = 'TransientDecodeError';
  }
}
