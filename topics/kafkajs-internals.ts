import { createRequire } from 'node:module';

/**
 * The kafkajs 2.2.4 internals that the pinned request writers
 * (kafkajs-produce-fix.ts, kafkajs-fetch-fix.ts) hand their bytes to: its
 * `Encoder` (whose buffer and offset they fill) and its `Long`. Not part of
 * kafkajs's typed API, so they are typed here once.
 */
export interface EncoderLike {
  buf: Buffer;
  offset: number;
}
export interface LongLike {
  getHighBits(): number;
  getLowBits(): number;
}

/** Loads a kafkajs module by its path inside the package. */
export const loadKafkajs = createRequire(__filename);
export const Encoder = loadKafkajs('kafkajs/src/protocol/encoder') as new () => EncoderLike;
export const Long = loadKafkajs('kafkajs/src/utils/long') as { fromValue(v: unknown): LongLike; fromInt(v: number): LongLike };
