import { Long, loadKafkajs as load, replaceRequestBody, requirePinnedKafkajs, writeString, type RequestModule } from './kafkajs-internals';

/**
 * kafkajs 2.2.4 (pinned) builds the body of a produce request (v3 to v7 share
 * v3's) from an `Encoder` per record, per header, per batch and per partition,
 * with an object spread and an await per partition and topic. A gateway's edit
 * request at 128 sessions carries ~60 records over 24 partitions, so that cost
 * ~10.8 us of CPU per record, a fifth of what the gateway spends on an edit.
 *
 * The replacement writes the same bytes (the spec compares them with kafkajs's
 * own over many shapes) into one buffer: a pass that sizes every record, one
 * that writes them, and kafkajs's own CRC-32C over each batch in place. It
 * takes only what it knows: uncompressed records without their own timestamps,
 * keys, values and header values that are strings, buffers or absent; any other
 * request goes to kafkajs's encoder as before.
 */
type Headers = Record<string, string | Buffer | (string | Buffer)[] | undefined>;
type Message = { key?: string | Buffer | null; value: string | Buffer | null; headers?: Headers; timestamp?: unknown };
type PartitionData = { partition: number; firstSequence?: number; messages: Message[] };
type TopicData = { topic: string; partitions: PartitionData[] };
export type ProduceArgs = { acks: number; timeout: number; compression?: number; topicData: TopicData[]; transactionalId?: string | null; producerId?: unknown; producerEpoch?: number };
const crc32C = load('kafkajs/src/protocol/recordBatch/crc32C') as (b: Buffer) => number;
/** kafkajs's produce request versions (not part of its typed API: the version is pinned). */
export const Produce = load('kafkajs/src/protocol/requests/produce') as RequestModule<ProduceArgs>;
/** kafkajs's own, for requests the replacement does not take and for the spec. */
export const original = { protocol: Produce.protocol };

const TRANSACTIONAL_MASK = 16;
const MAGIC_BYTE = 2;
/** int64 first offset, int32 batch length, int32 leader epoch, int8 magic, int32 CRC: before the CRC'd part. */
const BATCH_HEAD = 8 + 4 + 4 + 1 + 4;
/** attributes, last offset delta, first and max timestamp, producer id and epoch, first sequence, record count. */
const BATCH_BODY_HEAD = 2 + 4 + 8 + 8 + 8 + 2 + 4 + 4;

const zigzag = (v: number) => (v << 1) ^ (v >> 31);
function sizeOfVarInt(v: number): number {
  let z = zigzag(v);
  let bytes = 1;
  while ((z & 0xffffff80) !== 0) {
    bytes++;
    z >>>= 7;
  }
  return bytes;
}
function writeVarInt(buf: Buffer, at: number, v: number): number {
  let z = zigzag(v);
  while ((z & 0xffffff80) !== 0) {
    buf[at++] = (z & 0x7f) | 0x80;
    z >>>= 7;
  }
  buf[at++] = z & 0x7f;
  return at;
}
const isBytes = (v: unknown): v is string | Buffer => typeof v === 'string' || Buffer.isBuffer(v);
const byteLength = (v: string | Buffer) => (typeof v === 'string' ? Buffer.byteLength(v, 'utf8') : v.length);
/** A varint length and the bytes, or -1 for none (kafkajs's writeVarIntBytes). */
const sizeOfVarIntBytes = (v: string | Buffer | null | undefined) => (v == null ? 1 : sizeOfVarInt(byteLength(v)) + byteLength(v));
function writeVarIntBytes(buf: Buffer, at: number, v: string | Buffer | null | undefined): number {
  if (v == null) return writeVarInt(buf, at, -1);
  if (typeof v === 'string') {
    const n = Buffer.byteLength(v, 'utf8');
    at = writeVarInt(buf, at, n);
    return at + buf.write(v, at, n, 'utf8');
  }
  at = writeVarInt(buf, at, v.length);
  return at + v.copy(buf, at);
}

/** The header pairs in kafkajs's order (an array value is one header per element), or null if one is not bytes. */
function headerPairs(headers: Headers | undefined): [string, string | Buffer][] | null {
  const pairs: [string, string | Buffer][] = [];
  if (headers === undefined) return pairs;
  if (headers === null || typeof headers !== 'object') return null;
  for (const key of Object.keys(headers)) {
    const v = headers[key];
    if (Array.isArray(v)) {
      for (const x of v) {
        if (!isBytes(x)) return null;
        pairs.push([key, x]);
      }
    } else if (isBytes(v)) pairs.push([key, v]);
    else return null;
  }
  return pairs;
}

/** The request body as kafkajs writes it, or null when the request is not one this encoder takes. */
export function encodeProduce(args: ProduceArgs, now: number): Buffer | null {
  if ((args.compression ?? 0) !== 0) return null;
  const tid = args.transactionalId ?? null;
  if (tid !== null && typeof tid !== 'string') return null;
  const epoch = args.producerEpoch ?? 0;
  if (typeof epoch !== 'number') return null;
  const producerId = args.producerId === undefined ? Long.fromInt(-1) : Long.fromValue(args.producerId);
  const attributes = tid ? TRANSACTIONAL_MASK : 0;
  // Pass one: every record's body size (kept for pass two), every header list, the request's size.
  const bodySizes: number[] = [];
  const headerLists: [string, string | Buffer][][] = [];
  let size = (tid === null ? 2 : 2 + Buffer.byteLength(tid, 'utf8')) + 2 + 4 + 4;
  for (const t of args.topicData) {
    if (typeof t.topic !== 'string') return null;
    size += 2 + Buffer.byteLength(t.topic, 'utf8') + 4;
    for (const p of t.partitions) {
      const seq = p.firstSequence;
      if (!p.messages.length || (seq !== undefined && typeof seq !== 'number')) return null;
      size += 4 + 4 + BATCH_HEAD + BATCH_BODY_HEAD;
      for (let i = 0; i < p.messages.length; i++) {
        const m = p.messages[i]!;
        if (m.timestamp != null || (m.key != null && !isBytes(m.key)) || (m.value != null && !isBytes(m.value))) return null;
        const headers = headerPairs(m.headers);
        if (!headers) return null;
        let hs = sizeOfVarInt(headers.length);
        for (const [k, v] of headers) hs += sizeOfVarIntBytes(k) + sizeOfVarIntBytes(v);
        // attributes (1), timestamp delta 0 as a varlong (1), offset delta, key, value, headers.
        const body = 2 + sizeOfVarInt(i) + sizeOfVarIntBytes(m.key) + sizeOfVarIntBytes(m.value) + hs;
        bodySizes.push(body);
        headerLists.push(headers);
        size += sizeOfVarInt(body) + body;
      }
    }
  }
  // Pass two: write.
  const buf = Buffer.allocUnsafe(size);
  let at = 0;
  if (tid === null) at = buf.writeInt16BE(-1, at);
  else at = writeString(buf, at, tid);
  at = buf.writeInt16BE(args.acks, at);
  at = buf.writeInt32BE(args.timeout, at);
  at = buf.writeInt32BE(args.topicData.length, at);
  let r = 0;
  for (const t of args.topicData) {
    at = writeString(buf, at, t.topic);
    at = buf.writeInt32BE(t.partitions.length, at);
    for (const p of t.partitions) {
      at = buf.writeInt32BE(p.partition, at);
      const sizeAt = at;
      at += 4;
      const batchStart = at;
      // First offset 0, then the batch's length, leader epoch 0, magic, CRC (filled in below).
      at = buf.writeInt32BE(0, at);
      at = buf.writeInt32BE(0, at);
      const lengthAt = at;
      at += 4;
      const afterLength = at;
      at = buf.writeInt32BE(0, at);
      at = buf.writeInt8(MAGIC_BYTE, at);
      const crcAt = at;
      at += 4;
      const bodyStart = at;
      at = buf.writeInt16BE(attributes, at);
      at = buf.writeInt32BE(p.messages.length - 1, at);
      // First and max timestamp: the time of encoding, as kafkajs's (no record has its own).
      at = buf.writeBigInt64BE(BigInt(now), at);
      at = buf.writeBigInt64BE(BigInt(now), at);
      at = buf.writeInt32BE(producerId.getHighBits(), at);
      at = buf.writeInt32BE(producerId.getLowBits(), at);
      at = buf.writeInt16BE(epoch, at);
      at = buf.writeInt32BE(p.firstSequence ?? 0, at);
      at = buf.writeInt32BE(p.messages.length, at);
      for (let i = 0; i < p.messages.length; i++, r++) {
        const m = p.messages[i]!;
        at = writeVarInt(buf, at, bodySizes[r]!);
        buf[at++] = 0;
        buf[at++] = 0;
        at = writeVarInt(buf, at, i);
        at = writeVarIntBytes(buf, at, m.key);
        at = writeVarIntBytes(buf, at, m.value);
        const headers = headerLists[r]!;
        at = writeVarInt(buf, at, headers.length);
        for (const [k, v] of headers) {
          at = writeVarIntBytes(buf, at, k);
          at = writeVarIntBytes(buf, at, v);
        }
      }
      buf.writeInt32BE(at - batchStart, sizeAt);
      buf.writeInt32BE(at - afterLength, lengthAt);
      buf.writeUInt32BE(crc32C(buf.subarray(bodyStart, at)), crcAt);
    }
  }
  return buf;
}

/** Installs the replacement once per process (topics/kafka.ts does, before any client exists). */
export function fixKafkajsProduce(): void {
  requirePinnedKafkajs((installed) => `topics/kafkajs-produce-fix.ts replaces kafkajs 2.2.4's produce request encoding, but ${installed} is installed: check that v3's request body is still what it writes and update or remove the fix.`);
  // Versions 3 to 7 write v3's body; older ones keep kafkajs's encoder.
  replaceRequestBody(Produce, original.protocol, (v) => v >= 3 && v <= 7, (args) => encodeProduce(args, Date.now()));
}
