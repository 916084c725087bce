import { loadKafkajs as load, requirePinnedKafkajs } from './kafkajs-internals';

/**
 * kafkajs 2.2.4 (pinned) decodes a fetch response v11 partition by partition
 * through `readArrayAsync` (a promise per partition and per topic), each
 * int64 through a BigInt and its string, and each partition's records
 * through an async `decodeMessages` even when there are none. An executor's
 * fetch names 3 × 24 partitions and nearly all come back empty: the decode
 * was ~50 KB of garbage per Python run (an allocation sampling profile of the
 * sustained row, Session 15), most of what its young generation scavenged.
 *
 * The replacement gives back the same objects (the spec compares them with
 * kafkajs's own on responses with records, aborted transactions, errors and
 * int64s beyond 2^53): the partition headers read in one loop, int64s that
 * fit a double without a BigInt, a partition without records with an empty
 * array at once; a partition with records still goes through kafkajs's own
 * `decodeMessages`.
 */
type DecoderLike = { buffer: Buffer; offset: number; readInt16(): number; readInt32(): number; readString(): string | null };
const Decoder = load('kafkajs/src/protocol/decoder') as new (buffer: Buffer) => DecoderLike;
const decodeMessages = load('kafkajs/src/protocol/requests/fetch/v4/decodeMessages') as (d: DecoderLike) => Promise<unknown[]>;
/** kafkajs's fetch v11 response module (not part of its typed API: the version is pinned). */
export const V11Response = load('kafkajs/src/protocol/requests/fetch/v11/response') as { decode(raw: Buffer): Promise<FetchResponse>; parse: unknown };
/** kafkajs's own, for the spec. */
export const original = { decode: V11Response.decode };

export interface FetchPartitionResponse {
  partition: number; errorCode: number; highWatermark: string; lastStableOffset: string; lastStartOffset: string;
  abortedTransactions: { producerId: string; firstOffset: string }[]; preferredReadReplica: number; messages: unknown[];
}
export interface FetchResponse {
  throttleTime: number; clientSideThrottleTime: number; errorCode: number; sessionId: number;
  responses: { topicName: string | null; partitions: FetchPartitionResponse[] }[];
}

const TWO_32 = 2 ** 32;

/** An int64 as the decimal string kafkajs makes of it (`readInt64().toString()`). */
function int64String(d: DecoderLike): string {
  const at = d.offset;
  d.offset += 8;
  const n = d.buffer.readInt32BE(at) * TWO_32 + d.buffer.readUInt32BE(at + 4);
  return Number.isSafeInteger(n) ? String(n) : d.buffer.readBigInt64BE(at).toString();
}

/** `readArray` of the same length rule: -1 is an empty array. */
function arrayOf<T>(d: DecoderLike, read: (d: DecoderLike) => T): T[] {
  const n = d.readInt32();
  if (n === -1) return [];
  const out = new Array<T>(n);
  for (let i = 0; i < n; i++) out[i] = read(d);
  return out;
}

const abortedTransaction = (d: DecoderLike) => ({ producerId: int64String(d), firstOffset: int64String(d) });

export async function decodeFetchV11(rawData: Buffer): Promise<FetchResponse> {
  const d = new Decoder(rawData);
  const clientSideThrottleTime = d.readInt32();
  const errorCode = d.readInt16();
  const sessionId = d.readInt32();
  const topics = d.readInt32();
  const responses: FetchResponse['responses'] = topics === -1 ? [] : new Array(topics);
  for (let t = 0; t < topics; t++) {
    const topicName = d.readString();
    const count = d.readInt32();
    const partitions: FetchPartitionResponse[] = count === -1 ? [] : new Array(count);
    for (let i = 0; i < count; i++) {
      const partition = d.readInt32();
      const partitionError = d.readInt16();
      const highWatermark = int64String(d);
      const lastStableOffset = int64String(d);
      const lastStartOffset = int64String(d);
      const abortedTransactions = arrayOf(d, abortedTransaction);
      const preferredReadReplica = d.readInt32();
      // No records (size 0, or -1 for none): what decodeMessages answers, without its promise. It reads the size too.
      let messages: unknown[];
      if (d.buffer.readInt32BE(d.offset) <= 0) {
        d.offset += 4;
        messages = [];
      } else messages = await decodeMessages(d);
      partitions[i] = { partition, errorCode: partitionError, highWatermark, lastStableOffset, lastStartOffset, abortedTransactions, preferredReadReplica, messages };
    }
    responses[t] = { topicName, partitions };
  }
  // As kafkajs reports it: the broker did not throttle; a clientSideThrottleTime > 0 asks the client to.
  return { throttleTime: 0, clientSideThrottleTime, errorCode, sessionId, responses };
}

/** Installs the replacement once per process (topics/kafka.ts does, before any client exists). */
export function fixKafkajsFetchResponse(): void {
  requirePinnedKafkajs((installed) => `topics/kafkajs-fetch-response-fix.ts replaces kafkajs 2.2.4's fetch response v11 decoding, but ${installed} is installed: check that its decoder still makes the same objects and update or remove the fix.`);
  V11Response.decode = decodeFetchV11;
}
