import avro from 'avsc';
import { AvroContainer, writeLong } from './avro-container';

const longType = avro.Type.forSchema('long');

describe('AvroContainer', () => {
  it('writes longs exactly as Avro encodes them', () => {
    for (const n of [0, 1, -1, 63, 64, -64, -65, 300, 2 ** 31, -(2 ** 31), 2 ** 40 + 7, Number.MAX_SAFE_INTEGER >> 1]) {
      const buf = Buffer.alloc(16);
      const end = writeLong(buf, 0, n);
      expect(buf.subarray(0, end)).toEqual(longType.toBuffer(n));
    }
  });

  it('builds a container file an independent Avro reader decodes, origin fields first', async () => {
    const record = { type: 'record', name: 'Thing', fields: [{ name: 'id', type: 'string' }, { name: 'n', type: 'int' }] } as const;
    const envelope = { type: 'record', name: 'Thing', fields: [{ name: 'kafka_offset', type: 'long' }, { name: 'kafka_partition', type: 'int' }, ...record.fields] };
    const t = avro.Type.forSchema(record as unknown as avro.Schema);
    const c = new AvroContainer();
    const things = Array.from({ length: 3000 }, (_, i) => ({ id: `thing-${i}-${'x'.repeat(i % 500)}`, n: i - 1500 }));
    things.forEach((v, i) => c.add(1_000_000_000_000 + i, i % 24, t.toBuffer(v)));
    expect(c.count).toBe(3000);
    const decoded: unknown[] = [];
    await new Promise<void>((resolve, reject) => {
      const d = new avro.streams.BlockDecoder();
      d.on('data', (v: unknown) => decoded.push(v)).on('end', resolve).on('error', reject);
      d.end(c.toBuffer(envelope));
    });
    expect(decoded).toHaveLength(3000);
    expect(decoded[2999]).toEqual({ kafka_offset: 1_000_000_000_000 + 2999, kafka_partition: 2999 % 24, ...things[2999] });
  });
});
