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

/** A Kafka protocol string (int16 length, then UTF-8) written at `at`; returns the offset after it. */
export function writeString(buf: Buffer, at: number, s: string): number {
  const n = Buffer.byteLength(s, 'utf8');
  at = buf.writeInt16BE(n, at);
  return at + buf.write(s, at, n, 'utf8');
}
