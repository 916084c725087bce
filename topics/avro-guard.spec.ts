import avro from 'avsc';
import fc from 'fast-check';
import { AvroBodyError, checkAvroBody } from './avro-guard';
import { controlTopic, loadSchema, requestsTopic, topics } from './catalog';
import type { EditEvent } from './types';

const schema = loadSchema(topics.edits);
const type = avro.Type.forSchema(schema as avro.Schema);
const edit: EditEvent = {
  eventId: 'e-1', sessionId: 's-1', userId: 'u-1', timestampMs: 1_700_000_000_000, kind: 'open', language: 'python',
  dependencySet: 'python-3.11-std', hardwareClass: 'x86_64', baseVersion: 0, version: 1,
  files: [{ name: 'main.py', content: 'print("hi")\n' }, { name: 'util.py', content: 'x = 1\n' }],
  ops: [{ file: 'main.py', offset: 0, deleteCount: 0, insert: 'print' }], textBytes: 18,
};
/** Avro's zig-zag varint of a long. */
const varint = (v: number) => {
  let n = v >= 0 ? v * 2 : -v * 2 - 1;
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
};

describe('Avro body guard', () => {
  it('accepts every record avsc writes for a topic schema, named types and unions included', () => {
    expect(() => checkAvroBody(schema, type.toBuffer(edit))).not.toThrow();
    expect(() => checkAvroBody(schema, type.toBuffer({ ...edit, files: null, ops: [] }))).not.toThrow();
    for (const spec of [requestsTopic('x86_64'), controlTopic('x86_64'), ...Object.values(topics)]) {
      const s = loadSchema(spec);
      const random = avro.Type.forSchema(s as avro.Schema).random();
      expect(() => checkAvroBody(s, avro.Type.forSchema(s as avro.Schema).toBuffer(random))).not.toThrow();
    }
  });

  it('refuses a block count larger than the bytes left before anything is allocated (the count that crashed an executor)', () => {
    const strings = { type: 'array', items: 'string' };
    expect(() => checkAvroBody(strings, Buffer.concat([varint(178_414_678), Buffer.from([2, 0x61, 0])]))).toThrow(AvroBodyError);
    expect(() => checkAvroBody({ type: 'map', values: 'long' }, Buffer.concat([varint(-5_000_000), varint(10), Buffer.alloc(10)]))).toThrow(/claims 5000000 items/);
    // Items that take no bytes may be many, but not unboundedly many.
    expect(() => checkAvroBody({ type: 'array', items: 'null' }, Buffer.concat([varint(1000), varint(0)]))).not.toThrow();
    expect(() => checkAvroBody({ type: 'array', items: 'null' }, Buffer.concat([varint(10_000_000), varint(0)]))).toThrow(AvroBodyError);
  });

  it('refuses lengths past the end, bad union branches and bodies cut short, with the byte where it went wrong', () => {
    const body = type.toBuffer(edit);
    expect(() => checkAvroBody(schema, body.subarray(0, body.length - 3))).toThrow(/invalid at byte \d+ of \d+/);
    expect(() => checkAvroBody('string', Buffer.concat([varint(1000), Buffer.from('short')]))).toThrow(/a string of 1000 bytes, 5 left/);
    expect(() => checkAvroBody(['null', 'string'], varint(7))).toThrow(/union branch 7 of 2/);
  });

  it('ends quickly on any corruption of a real record, and what it lets through avsc decodes or refuses by throwing', () => {
    const body = type.toBuffer(edit);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(body.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (flips) => {
        const bad = Buffer.from(body);
        for (const [i, v] of flips) bad[i] = v;
        let passed = true;
        try {
          checkAvroBody(schema, bad);
        } catch (err) {
          expect(err).toBeInstanceOf(AvroBodyError);
          passed = false;
        }
        if (passed) {
          try {
            type.fromBuffer(bad);
          } catch {
            /* a refusal avsc makes itself (trailing bytes, bad UTF-8) is fine: it is an exception, not a crash */
          }
        }
      }),
      { numRuns: 2000, seed: 11 },
    );
  });

  it('checks a record that contains itself by name, the same schema object again after a refusal', () => {
    const list = { type: 'record', name: 'Node', namespace: 'spec', fields: [{ name: 'value', type: 'string' }, { name: 'next', type: ['null', 'Node'] }] };
    const t = avro.Type.forSchema(list as avro.Schema);
    const good = t.toBuffer({ value: 'a', next: { value: 'b', next: { value: 'c', next: null } } });
    expect(() => checkAvroBody(list, good)).not.toThrow();
    const badBranch = Buffer.from(good);
    badBranch[2] = 0x06; // the first 'next' union index: branch 3 of 2
    expect(() => checkAvroBody(list, badBranch)).toThrow(AvroBodyError);
    expect(() => checkAvroBody(list, good.subarray(0, good.length - 1))).toThrow(/ends inside a number|left/);
    expect(() => checkAvroBody(list, good)).not.toThrow();
  });
});
