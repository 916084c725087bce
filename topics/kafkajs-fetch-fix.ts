import { Long, loadKafkajs as load, replaceRequestBody, requirePinnedKafkajs, writeString, type RequestModule } from './kafkajs-internals';

/**
 * kafkajs 2.2.4 (pinned) has no fetch sessions: every fetch request names every
 * partition the consumer reads, and v11's encoder builds an `Encoder` per
 * partition and parses each offset string into a BigInt. An executor reading
 * editor.edits, its requests and its controls (3 × 24 partitions) sends one
 * such request per produce request it hears of, ~70-115 us of CPU each.
 *
 * The replacement writes the same bytes (the spec compares them with kafkajs's
 * own) into one buffer: offsets that are decimal strings of at most 15 digits
 * (every offset a log reaches in practice) as two 32-bit halves, anything else
 * through kafkajs's own `Long`. A request with forgotten topics (kafkajs never
 * sends any) goes to kafkajs's encoder.
 */
type FetchPartition = { partition: number; currentLeaderEpoch?: number; fetchOffset: unknown; logStartOffset?: unknown; maxBytes: number };
export type FetchArgs = {
  replicaId?: number; maxWaitTime: number; minBytes: number; maxBytes: number; isolationLevel?: number; sessionId?: number; sessionEpoch?: number;
  topics: { topic: string; partitions: FetchPartition[] }[]; forgottenTopics?: unknown[]; rackId?: string;
};
const ISOLATION = load('kafkajs/src/protocol/isolationLevel') as { READ_COMMITTED: number };
/** kafkajs's fetch request versions (not part of its typed API: the version is pinned). */
export const Fetch = load('kafkajs/src/protocol/requests/fetch') as RequestModule<FetchArgs>;
/** kafkajs's own, for requests the replacement does not take and for the spec. */
export const original = { protocol: Fetch.protocol };

const SMALL_DECIMAL = /^-?\d{1,15}$/;
const TWO_32 = 2 ** 32;

/** An int64 as kafkajs's writeInt64 writes it: a number or short decimal string without BigInt, the rest through its Long. */
function writeInt64(buf: Buffer, at: number, v: unknown): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && SMALL_DECIMAL.test(v) ? Number(v) : NaN;
  if (Number.isSafeInteger(n)) {
    const high = Math.floor(n / TWO_32);
    buf.writeInt32BE(high | 0, at);
    buf.writeInt32BE((n - high * TWO_32) | 0, at + 4);
    return at + 8;
  }
  const l = Long.fromValue(v);
  buf.writeInt32BE(l.getHighBits(), at);
  buf.writeInt32BE(l.getLowBits(), at + 4);
  return at + 8;
}

/** The body of a fetch request v11 as kafkajs writes it, or null when it is not one this encoder takes. */
export function encodeFetch(a: FetchArgs): Buffer | null {
  if (a.forgottenTopics !== undefined && (!Array.isArray(a.forgottenTopics) || a.forgottenTopics.length)) return null;
  // kafkajs's defaults apply to absent values only (a null is written as kafkajs writes it, or refused by it).
  const rackId = a.rackId === undefined ? '' : a.rackId;
  if (typeof rackId !== 'string') return null;
  let size = 4 * 4 + 1 + 4 + 4 + 4 + 4 + 2 + Buffer.byteLength(rackId, 'utf8');
  for (const t of a.topics) {
    if (typeof t.topic !== 'string') return null;
    size += 2 + Buffer.byteLength(t.topic, 'utf8') + 4 + t.partitions.length * (4 + 4 + 8 + 8 + 4);
  }
  const buf = Buffer.allocUnsafe(size);
  // A consumer's fetch names no replica: -1, as kafkajs's versions table fills in (a 0 would be a follower's fetch).
  let at = buf.writeInt32BE(a.replicaId === undefined ? -1 : a.replicaId, 0);
  at = buf.writeInt32BE(a.maxWaitTime, at);
  at = buf.writeInt32BE(a.minBytes, at);
  at = buf.writeInt32BE(a.maxBytes, at);
  at = buf.writeInt8(a.isolationLevel === undefined ? ISOLATION.READ_COMMITTED : a.isolationLevel, at);
  at = buf.writeInt32BE(a.sessionId === undefined ? 0 : a.sessionId, at);
  at = buf.writeInt32BE(a.sessionEpoch === undefined ? -1 : a.sessionEpoch, at);
  at = buf.writeInt32BE(a.topics.length, at);
  for (const t of a.topics) {
    at = writeString(buf, at, t.topic);
    at = buf.writeInt32BE(t.partitions.length, at);
    for (const p of t.partitions) {
      at = buf.writeInt32BE(p.partition, at);
      at = buf.writeInt32BE(p.currentLeaderEpoch === undefined ? -1 : p.currentLeaderEpoch, at);
      at = writeInt64(buf, at, p.fetchOffset);
      at = writeInt64(buf, at, p.logStartOffset === undefined ? -1 : p.logStartOffset);
      at = buf.writeInt32BE(p.maxBytes, at);
    }
  }
  // No forgotten topics, then the rack id.
  at = buf.writeInt32BE(0, at);
  writeString(buf, at, rackId);
  return buf;
}

/** Installs the replacement once per process (topics/kafka.ts does, before any client exists). */
export function fixKafkajsFetch(): void {
  requirePinnedKafkajs((installed) => `topics/kafkajs-fetch-fix.ts replaces kafkajs 2.2.4's fetch request v11 encoding, but ${installed} is installed: check that its body is still what it writes and update or remove the fix.`);
  // The broker here answers v11 (kafkajs's newest); other versions keep kafkajs's encoder.
  replaceRequestBody(Fetch, original.protocol, (v) => v === 11, encodeFetch);
}
