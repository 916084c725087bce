import { decodeFetchV11, original, V11Response } from './kafkajs-fetch-response-fix';
import { loadKafkajs as load } from './kafkajs-internals';
import './kafka';

type EncoderLike = { writeInt8(v: number): EncoderLike; writeInt16(v: number): EncoderLike; writeInt32(v: number): EncoderLike; writeInt64(v: unknown): EncoderLike; writeString(v: string): EncoderLike; writeBytes(v: Buffer): EncoderLike; writeEncoder(e: EncoderLike): EncoderLike; buffer: Buffer };
const Encoder = load('kafkajs/src/protocol/encoder') as new () => EncoderLike;
const { RecordBatch } = load('kafkajs/src/protocol/recordBatch/v0') as { RecordBatch: (o: object) => Promise<EncoderLike> };
const Record = load('kafkajs/src/protocol/recordBatch/record/v0') as (o: object) => EncoderLike;
const Long = load('kafkajs/src/utils/long') as { fromValue(v: unknown): unknown };

interface Part { partition: number; error?: number; high: string; stable?: string; start?: string; aborted?: [string, string][] | null; replica?: number; records?: Buffer | null }

/** A fetch response v11 body as a broker writes it. */
function response(topics: { name: string; partitions: Part[] }[], o: { throttle?: number; error?: number; session?: number } = {}): Buffer {
  const e = new Encoder().writeInt32(o.throttle ?? 0).writeInt16(o.error ?? 0).writeInt32(o.session ?? 0).writeInt32(topics.length);
  for (const t of topics) {
    e.writeString(t.name).writeInt32(t.partitions.length);
    for (const p of t.partitions) {
      e.writeInt32(p.partition).writeInt16(p.error ?? 0).writeInt64(Long.fromValue(p.high)).writeInt64(Long.fromValue(p.stable ?? p.high)).writeInt64(Long.fromValue(p.start ?? '0'));
      if (p.aborted === null) e.writeInt32(-1);
      else {
        e.writeInt32(p.aborted?.length ?? 0);
        for (const [producer, first] of p.aborted ?? []) e.writeInt64(Long.fromValue(producer)).writeInt64(Long.fromValue(first));
      }
      e.writeInt32(p.replica ?? -1);
      if (p.records === null) e.writeInt32(-1);
      else if (!p.records) e.writeInt32(0);
      else e.writeBytes(p.records);
    }
  }
  return e.buffer;
}

async function batch(firstOffset: string, values: string[]): Promise<Buffer> {
  const records = values.map((v, i) => Record({ offsetDelta: i, key: Buffer.from(`k${i}`), value: Buffer.from(v), headers: { replyTo: 'gw-1' } }));
  return (await RecordBatch({ firstOffset: Long.fromValue(firstOffset), firstTimestamp: 1_700_000_000_000, maxTimestamp: 1_700_000_000_000, lastOffsetDelta: values.length - 1, records })).buffer;
}

describe('fetch response v11 decoding', () => {
  it('makes the same objects as kafkajs for empty partitions, records, aborted transactions, errors and large int64s', async () => {
    const records = await batch('41', ['one', 'two', 'three']);
    const later = await batch('9007199254740993', ['beyond 2^53']);
    const raw = response([
      { name: 'editor.edits', partitions: [
        { partition: 0, high: '0' },
        { partition: 1, high: '44', stable: '44', start: '3', records },
        { partition: 2, high: '-1', stable: '-1', start: '-1', records: null, aborted: null },
        { partition: 3, high: '9007199254740993', stable: '9007199254740992', start: '9223372036854775807', records: later, replica: 2 },
      ] },
      { name: 'runs.requests.x86_64', partitions: [
        { partition: 5, error: 1, high: '12', aborted: [['7', '10'], ['-9223372036854775808', '4294967296']] },
        { partition: 6, high: '4294967295', stable: '4294967296', start: '2147483648' },
      ] },
      { name: 'empty', partitions: [] },
    ], { throttle: 25, error: 0, session: 7 });
    const ours = await decodeFetchV11(raw);
    const theirs = await original.decode(raw);
    expect(ours).toEqual(theirs);
    // The values themselves, not only their likeness to kafkajs's: records decoded, int64s exact.
    expect(ours.responses[0]!.partitions[1]!.messages).toHaveLength(3);
    expect(ours.responses[0]!.partitions[3]!.highWatermark).toBe('9007199254740993');
    expect(ours.responses[0]!.partitions[3]!.lastStartOffset).toBe('9223372036854775807');
    expect(ours.responses[1]!.partitions[0]!.abortedTransactions).toEqual([{ producerId: '7', firstOffset: '10' }, { producerId: '-9223372036854775808', firstOffset: '4294967296' }]);
    expect(ours.clientSideThrottleTime).toBe(25);
  });

  it('gives every empty partition an array of its own', async () => {
    const ours = await decodeFetchV11(response([{ name: 't', partitions: [{ partition: 0, high: '1' }, { partition: 1, high: '1' }] }]));
    const [a, b] = ours.responses[0]!.partitions;
    expect(a!.messages).toEqual([]);
    expect(a!.messages).not.toBe(b!.messages);
  });

  it('keeps kafkajs reading a record set cut short at the end, as kafkajs does', async () => {
    const full = await batch('100', ['a'.repeat(200), 'b'.repeat(200)]);
    const raw = response([{ name: 't', partitions: [{ partition: 0, high: '102', records: Buffer.concat([full, full.subarray(0, 80)]) }] }]);
    expect(await decodeFetchV11(raw)).toEqual(await original.decode(raw));
  });

  it('is what kafkajs decodes fetch v11 responses with, once topics/kafka.ts is loaded', () => {
    expect(V11Response.decode).toBe(decodeFetchV11);
  });
});
