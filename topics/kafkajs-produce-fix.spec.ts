import { createRequire } from 'node:module';
import { encodeProduce, fixKafkajsProduce, original, Produce, type ProduceArgs } from './kafkajs-produce-fix';
import { fixKafkajsEncoder } from './kafkajs-encoder-fix';

const load = createRequire(__filename);
const Long = load('kafkajs/src/utils/long') as { fromValue(v: unknown): unknown };
const NOW = 1_796_000_000_123;

/** kafkajs's own bytes for a request of this version. */
const theirs = async (args: ProduceArgs, version = 7) => ((await original.protocol({ version })(args).request.encode()) as { buffer: Buffer }).buffer;
const viaFix = async (args: ProduceArgs, version = 7) => ((await Produce.protocol({ version })(args).request.encode()) as { buffer: Buffer }).buffer;

const part = (partition: number, messages: ProduceArgs['topicData'][number]['partitions'][number]['messages'], firstSequence?: number) => ({ partition, messages, ...(firstSequence === undefined ? {} : { firstSequence }) });
const edits = (n: number, size: number) => Array.from({ length: n }, (_, i) => ({ key: `session-${i % 7}`, value: Buffer.alloc(size, i) }));

const shapes: [string, ProduceArgs][] = [
  ['one record', { acks: -1, timeout: 30000, topicData: [{ topic: 'editor.edits', partitions: [part(0, edits(1, 190))] }] }],
  ['an edit request at 128 sessions: 60 records over 24 partitions', { acks: -1, timeout: 30000, compression: 0, topicData: [{ topic: 'editor.edits', partitions: Array.from({ length: 24 }, (_, p) => part(p, edits(2 + (p % 3), 190))) }] }],
  ['several topics, offset deltas past one varint byte, values of 1-3 varint bytes', {
    acks: 1, timeout: 5000,
    topicData: [
      { topic: 'runs.results', partitions: [part(3, edits(200, 3)), part(1, edits(2, 20_000))] },
      { topic: 'runs.output', partitions: [part(0, edits(3, 70_000))] },
    ],
  }],
  ['absent and null keys and values, unicode keys and topics, string values', { acks: -1, timeout: 30000, topicData: [{ topic: 'tópico.ü', partitions: [part(2, [{ key: null, value: 'plain' }, { value: null }, { key: 'ключ-✓', value: 'значение' }, { key: Buffer.from([0, 255]), value: Buffer.alloc(0) }])] }] }],
  ['headers: strings, buffers, several values for one key, empty', { acks: -1, timeout: 30000, topicData: [{ topic: 'runs.results', partitions: [part(0, [
    { key: 'r1', value: Buffer.from('x'), headers: { replyTo: 'gateway-1', blob: Buffer.from([1, 2, 3]) } },
    { key: 'r2', value: Buffer.from('y'), headers: { many: ['a', Buffer.from('b'), 'ü'] } },
    { key: 'r3', value: Buffer.from('z'), headers: {} },
  ])] }] }],
  ['a transactional, idempotent producer (producer id, epoch, sequences)', { acks: -1, timeout: 30000, transactionalId: 'tx-1', producerId: Long.fromValue(4242), producerEpoch: 7, topicData: [{ topic: 'editor.edits', partitions: [part(5, edits(3, 10), 17), part(6, edits(1, 10), 0)] }] }],
  ['an empty transactional id (not transactional) and a numeric producer id', { acks: 0, timeout: 1, transactionalId: '', producerId: 99, topicData: [{ topic: 'x', partitions: [part(0, edits(2, 5))] }] }],
];

describe('kafkajs produce fix', () => {
  beforeAll(() => {
    fixKafkajsEncoder();
    fixKafkajsProduce();
  });
  beforeEach(() => jest.spyOn(Date, 'now').mockReturnValue(NOW));
  afterEach(() => jest.restoreAllMocks());

  it.each(shapes)('writes the bytes kafkajs writes for %s', async (_name, args) => {
    const want = await theirs(args);
    expect(encodeProduce(args, NOW)).toEqual(want);
    expect(await viaFix(args)).toEqual(want);
  });

  it('writes every version from 3 to 7 with that version number, and leaves older versions to kafkajs', async () => {
    const args = shapes[1]![1];
    for (const version of [2, 3, 4, 5, 6, 7]) {
      const mine = Produce.protocol({ version })(args).request;
      const own = original.protocol({ version })(args).request;
      expect(mine.apiVersion).toBe(own.apiVersion);
      expect(await viaFix(args, version)).toEqual(await theirs(args, version));
    }
  });

  it('takes no request it does not know and hands it to kafkajs: compressed, records with their own timestamps, other key types, empty partitions', async () => {
    const others: ProduceArgs[] = [
      { acks: -1, timeout: 30000, compression: 1, topicData: [{ topic: 't', partitions: [part(0, edits(3, 100))] }] },
      { acks: -1, timeout: 30000, topicData: [{ topic: 't', partitions: [part(0, [{ key: 'k', value: Buffer.from('v'), timestamp: String(NOW - 5) }, { key: 'k', value: Buffer.from('w'), timestamp: String(NOW) }])] }] },
      { acks: -1, timeout: 30000, topicData: [{ topic: 't', partitions: [part(0, [])] }] },
    ];
    for (const args of others) {
      expect(encodeProduce(args, NOW)).toBeNull();
      expect(await viaFix(args)).toEqual(await theirs(args));
    }
    const numericKey = { acks: -1, timeout: 30000, topicData: [{ topic: 't', partitions: [part(0, [{ key: 5, value: 'v' }] as never)] }] } as unknown as ProduceArgs;
    expect(encodeProduce(numericKey, NOW)).toBeNull();
    // kafkajs cannot size a numeric key: the fixed path fails the same way instead of writing something else.
    await expect(viaFix(numericKey)).rejects.toThrow(/must be of type string/);
    await expect(theirs(numericKey)).rejects.toThrow(/must be of type string/);
  });

  it('is installed once: a second install keeps the first wrapper', () => {
    const installed = Produce.protocol;
    fixKafkajsProduce();
    expect(Produce.protocol).toBe(installed);
    expect(installed).not.toBe(original.protocol);
  });
});
