import type { ConsumerConfig, ConsumerRunConfig, EachMessagePayload, Kafka, KafkaMessage } from 'kafkajs';
import { RegistryError, type Registry } from './registry';
import type { Logger } from './ground/logger';

/**
 * Fakes for the specs of the long-lived consumers (run router, compacted
 * followers, share links): a Kafka client whose consumer hands over its
 * eachMessage, which `deliver` calls the way kafkajs's runner does, and a
 * schema registry that can be taken down. Unit specs only.
 */

/** A logger that keeps what it was told. */
export function recordingLogger() {
  const lines: { level: 'info' | 'warn' | 'error'; msg?: string; fields: object }[] = [];
  const at = (level: 'info' | 'warn' | 'error') => (fields: object, msg?: string) => void lines.push({ level, msg, fields });
  const logger: Logger = { info: at('info'), warn: at('warn'), error: at('error') };
  return { logger, lines };
}

/** A value in the wire format: magic byte, schema id, then (for this fake registry) the record as JSON. */
export function wireValue(value: unknown, schemaId = 7): Buffer {
  const head = Buffer.alloc(5);
  head.writeInt32BE(schemaId, 1);
  return Buffer.concat([head, Buffer.from(JSON.stringify(value))]);
}

/** Schema id the fake registry does not know: a record that can never be decoded. */
export const UNKNOWN_SCHEMA_ID = 99;

/** A registry that decodes wireValue's records, refuses UNKNOWN_SCHEMA_ID, and cannot be reached while `down`. */
export function fakeRegistry() {
  const state = { down: false, decodes: 0 };
  const registry = {
    url: 'fake',
    // Never known ahead: every decode takes the registry's asynchronous path, where its failures come from.
    decodeNow: () => undefined,
    decode: async <T>(value: Buffer): Promise<T> => {
      state.decodes++;
      if (state.down) throw new RegistryError('registry_unavailable', 'connect ECONNREFUSED (fake registry down)');
      if (value.readInt32BE(1) === UNKNOWN_SCHEMA_ID) throw new RegistryError('schema_unknown', `No schema ${UNKNOWN_SCHEMA_ID}`);
      return JSON.parse(value.subarray(5).toString()) as T;
    },
  } as unknown as Registry;
  return { registry, state };
}

export type Offsets = { topic: string; partition: number; offset: string }[];

/** A kafkajs client with one consumer: its config, its commits, and a `deliver` that runs its eachMessage. */
export function fakeKafka(o: { ends?: Record<string, { partition: number; low: string; high: string }[]> } = {}) {
  const configs: ConsumerConfig[] = [];
  const commits: Offsets[] = [];
  let run: ConsumerRunConfig | undefined;
  const consumer = {
    events: { FETCH_START: 'consumer.fetch_start', CRASH: 'consumer.crash', GROUP_JOIN: 'consumer.group_join' },
    connect: async () => {},
    disconnect: async () => {},
    subscribe: async () => {},
    // The first fetch starts at once.
    on: (event: string, listener: () => void) => void (event === consumer.events.FETCH_START && setImmediate(listener)),
    run: async (config: ConsumerRunConfig) => void (run = config),
    commitOffsets: async (offsets: Offsets) => void commits.push(offsets),
  };
  const admin = {
    connect: async () => {},
    disconnect: async () => {},
    fetchOffsets: async () => [],
    fetchTopicOffsets: async (topic: string) => o.ends?.[topic] ?? [],
  };
  const kafka = {
    consumer: (config: ConsumerConfig) => (configs.push(config), consumer),
    admin: () => admin,
  } as unknown as Kafka;
  let beats = 0;
  return {
    kafka,
    configs,
    commits,
    heartbeats: () => beats,
    /**
     * Hands one record to eachMessage, as kafkajs's runner does: resolves when
     * it was handled, rejects with what eachMessage threw (kafkajs then reads
     * the record again, from the last one handled).
     */
    async deliver(topic: string, partition: number, offset: number, value: Buffer | null, extra: Partial<KafkaMessage> = {}): Promise<void> {
      if (!run?.eachMessage) throw new Error('The consumer was not run with eachMessage');
      const message = { key: null, value, offset: String(offset), timestamp: '0', attributes: 0, headers: {}, ...extra } as KafkaMessage;
      const payload = { topic, partition, message, heartbeat: async () => void beats++, pause: () => () => {} } as EachMessagePayload;
      await run.eachMessage(payload);
    },
  };
}
