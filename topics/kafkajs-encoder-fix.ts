import { loadKafkajs as load, requirePinnedKafkajs } from './kafkajs-internals';

/**
 * kafkajs 2.2.4 (pinned) encodes every produce request with an `Encoder` that
 * allocates as if bytes were free: a zero-filled 512-byte buffer for every new
 * encoder (one per record, several per partition), a fresh zero-filled buffer
 * at every growth, a `Buffer.from(array)` for every varint and `Long`
 * arithmetic for every record's timestamp delta. In a gateway producing edits
 * that was ~20% of its CPU (docs/decisions/bench-baselines-and-hops.md).
 *
 * The replacements write the same bytes (the spec compares them with
 * kafkajs's own methods) without those allocations:
 * - a new encoder starts empty: `nextPowerOfTwo`, whose only callers are the
 *   constructor and `ensureAvailable`, answers 0, and the replaced
 *   `ensureAvailable` grows to a power of two of at least 256 bytes from
 *   Node's buffer pool (`allocUnsafe`; only bytes below `offset` are ever read:
 *   `buffer` slices there);
 * - varints are written byte by byte into the buffer;
 * - a varlong of a number in the 32-bit range is the varint of its 32-bit
 *   zigzag (the same bytes); anything else takes kafkajs's own path.
 */
interface EncoderInternals {
  buf: Buffer;
  offset: number;
  ensureAvailable(length: number): void;
  writeUVarInt(value: number): EncoderInternals;
  writeVarLong(value: unknown): EncoderInternals;
}
interface EncoderClass {
  new (initialSize?: number): EncoderInternals;
  prototype: EncoderInternals;
  nextPowerOfTwo(value: number): number;
  sizeOfVarLong(value: unknown): number;
  encodeZigZag(value: number): number;
}

/** kafkajs's Encoder class (not part of its typed API: the version is pinned). */
export const Encoder = load('kafkajs/src/protocol/encoder') as EncoderClass;

/** kafkajs's own methods, kept for values the replacements hand back and for the spec. */
export const original = {
  nextPowerOfTwo: Encoder.nextPowerOfTwo,
  sizeOfVarLong: Encoder.sizeOfVarLong,
  ensureAvailable: Encoder.prototype.ensureAvailable,
  writeUVarInt: Encoder.prototype.writeUVarInt,
  writeVarLong: Encoder.prototype.writeVarLong,
};

const MIN_BUFFER_BYTES = 256;
const isInt32 = (v: unknown): v is number => typeof v === 'number' && (v | 0) === v;

function ensureAvailable(this: EncoderInternals, length: number): void {
  const need = this.offset + length;
  if (need <= this.buf.length) return;
  const grown = Buffer.allocUnsafe(Math.max(MIN_BUFFER_BYTES, original.nextPowerOfTwo.call(Encoder, need)));
  this.buf.copy(grown, 0, 0, this.offset);
  this.buf = grown;
}

function writeUVarInt(this: EncoderInternals, value: number): EncoderInternals {
  // The same operations as kafkajs's (32-bit bitwise), at most five bytes.
  this.ensureAvailable(5);
  const buf = this.buf;
  let at = this.offset;
  while ((value & 0xffffff80) !== 0) {
    buf[at++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  buf[at++] = value & 0x7f;
  this.offset = at;
  return this;
}

function writeVarLong(this: EncoderInternals, value: unknown): EncoderInternals {
  if (isInt32(value)) return this.writeUVarInt(Encoder.encodeZigZag(value));
  return original.writeVarLong.call(this, value);
}

function sizeOfVarLong(value: unknown): number {
  if (!isInt32(value)) return original.sizeOfVarLong.call(Encoder, value);
  let v = Encoder.encodeZigZag(value);
  let bytes = 1;
  while ((v & 0xffffff80) !== 0) {
    bytes += 1;
    v >>>= 7;
  }
  return bytes;
}

/** Installs the replacements once per process (topics/kafka.ts does, before any client exists). */
export function fixKafkajsEncoder(): void {
  requirePinnedKafkajs((installed) => `topics/kafkajs-encoder-fix.ts replaces methods of kafkajs 2.2.4's Encoder, but ${installed} is installed: check that they are still what it replaces and update or remove the fix.`);
  Encoder.nextPowerOfTwo = () => 0;
  Encoder.sizeOfVarLong = sizeOfVarLong;
  Encoder.prototype.ensureAvailable = ensureAvailable;
  Encoder.prototype.writeUVarInt = writeUVarInt;
  Encoder.prototype.writeVarLong = writeVarLong;
}
