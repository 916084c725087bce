import { createRequire } from 'node:module';
import { Encoder, fixKafkajsEncoder, original } from './kafkajs-encoder-fix';

const load = createRequire(__filename);
const Long = load('kafkajs/src/utils/long') as { fromValue(v: unknown): unknown; fromString(s: string): unknown };
type Produce = (o: Record<string, unknown>) => { encode(): Promise<{ buffer: Buffer }> };
const produceV3 = load('kafkajs/src/protocol/requests/produce/v3/request') as Produce;

/** Runs `f` with kafkajs's own Encoder methods, then puts the fix back. */
async function withKafkajsOwn<T>(f: () => Promise<T> | T): Promise<T> {
  Encoder.nextPowerOfTwo = original.nextPowerOfTwo;
  Encoder.sizeOfVarLong = original.sizeOfVarLong;
  Object.assign(Encoder.prototype, { ensureAvailable: original.ensureAvailable, writeUVarInt: original.writeUVarInt, writeVarLong: original.writeVarLong });
  try {
    return await f();
  } finally {
    fixKafkajsEncoder();
  }
}

const ints = [0, 1, -1, 63, 64, -64, -65, 127, 128, 300, -300, 16383, 16384, 2 ** 21, 2 ** 28, 2 ** 30, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 2 ** 32 - 1, 2 ** 33 + 5, -(2 ** 40), 1.5];
const longs = [...ints.filter(Number.isInteger), 2 ** 53 - 1, -(2 ** 53 - 1), Long.fromValue(12345), Long.fromString('-9223372036854775808'), '1700000000000'];

describe('kafkajs encoder fix', () => {
  beforeAll(() => fixKafkajsEncoder());

  it('writes the varints, varlongs and their sizes kafkajs writes', async () => {
    const mine = ints.map((v) => new Encoder().writeUVarInt(v)).map((e) => e.buf.subarray(0, e.offset));
    const mineLongs = longs.map((v) => new Encoder().writeVarLong(v)).map((e) => e.buf.subarray(0, e.offset));
    const sizes = longs.map((v) => Encoder.sizeOfVarLong(v));
    const theirs = await withKafkajsOwn(() => ({
      ints: ints.map((v) => new Encoder().writeUVarInt(v)).map((e) => e.buf.subarray(0, e.offset)),
      longs: longs.map((v) => new Encoder().writeVarLong(v)).map((e) => e.buf.subarray(0, e.offset)),
      sizes: longs.map((v) => Encoder.sizeOfVarLong(v)),
    }));
    expect(mine).toEqual(theirs.ints);
    expect(mineLongs).toEqual(theirs.longs);
    expect(sizes).toEqual(theirs.sizes);
  });

  it('encodes a whole produce request byte for byte as kafkajs does: records, headers, several partitions, large values', async () => {
    const rand = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7919 + n) % 256));
    const messages = (p: number) =>
      Array.from({ length: 40 }, (_, i) => ({
        key: `s-${p}-${i}`, value: rand(i % 7 === 0 ? 70_000 : 20 + i * 13), timestamp: 1_700_000_000_000 + i * (p + 1) * 997,
        headers: i % 3 === 0 ? { replyTo: `gateway-${i}`, repeated: ['1', '2'] } : undefined,
      }));
    const request = () =>
      produceV3({
        acks: -1, timeout: 30000, producerId: Long.fromValue(42), producerEpoch: 0,
        topicData: [{ topic: 'editor.edits', partitions: [0, 3, 17].map((partition) => ({ partition, firstSequence: partition * 10, messages: messages(partition) })) }],
      }).encode();
    const mine = (await request()).buffer;
    const theirs = (await withKafkajsOwn(request)).buffer;
    expect(mine.length).toBeGreaterThan(200_000);
    expect(mine.equals(theirs)).toBe(true);
  });

  it('replaces what it says it does: nextPowerOfTwo has no callers but the constructor and ensureAvailable', () => {
    const fs = load('node:fs') as typeof import('node:fs');
    const src = fs.readFileSync(load.resolve('kafkajs/src/protocol/encoder.js'), 'utf8');
    expect(src.match(/nextPowerOfTwo\(/g)).toHaveLength(3);
  });
});
