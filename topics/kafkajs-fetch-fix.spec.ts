import { createRequire } from 'node:module';
import { encodeFetch, Fetch, fixKafkajsFetch, original, type FetchArgs } from './kafkajs-fetch-fix';
import { fixKafkajsEncoder } from './kafkajs-encoder-fix';

const load = createRequire(__filename);
const Long = load('kafkajs/src/utils/long') as { fromValue(v: unknown): unknown };

const theirs = async (args: FetchArgs, version = 11) => ((await original.protocol({ version })(args).request.encode()) as { buffer: Buffer }).buffer;
const viaFix = async (args: FetchArgs, version = 11) => ((await Fetch.protocol({ version })(args).request.encode()) as { buffer: Buffer }).buffer;
const base = { replicaId: -1, maxWaitTime: 500, minBytes: 1, maxBytes: 10485760 };
const offsets: unknown[] = ['0', '1', '17', '4294967295', '4294967296', '123456789012345', '-1', '-2', 0, 7, 2 ** 32 + 3, -(2 ** 33), '9223372036854775807', '-9223372036854775808', '1234567890123456', '007', Long.fromValue(99)];

const shapes: [string, FetchArgs][] = [
  ['an executor fetch: 3 topics of 24 partitions', { ...base, isolationLevel: 1, rackId: '', topics: ['editor.edits', 'runs.requests.x86_64', 'runs.control.x86_64'].map((topic) => ({ topic, partitions: Array.from({ length: 24 }, (_, partition) => ({ partition, fetchOffset: String(100000 + partition * 977), maxBytes: 1048576 })) })) }],
  ['offsets of every width and form (strings, numbers, Longs, past 2^53)', { ...base, topics: [{ topic: 't', partitions: offsets.map((fetchOffset, partition) => ({ partition, fetchOffset, logStartOffset: offsets[(partition + 3) % offsets.length], currentLeaderEpoch: partition - 1, maxBytes: partition * 1000 })) }] }],
  ['defaults left out, a rack, a unicode topic, a session', { replicaId: 2, maxWaitTime: 0, minBytes: 0, maxBytes: 1, sessionId: 5, sessionEpoch: 9, isolationLevel: 0, rackId: 'rack-ü', topics: [{ topic: 'tópico', partitions: [{ partition: 0, fetchOffset: '5', maxBytes: 1 }] }, { topic: 'empty', partitions: [] }] }],
  ['no topics, an empty list of forgotten ones', { ...base, topics: [], forgottenTopics: [] }],
  // What kafkajs's broker.fetch passes: no replica id, isolation level or session (its versions table fills them in).
  ['a consumer fetch as the kafkajs broker sends it', { maxWaitTime: 500, minBytes: 1, maxBytes: 10485760, rackId: '', topics: [{ topic: 'editor.edits', partitions: [{ partition: 3, fetchOffset: '42', maxBytes: 1048576 }] }] } as FetchArgs],
];

describe('kafkajs fetch fix', () => {
  beforeAll(() => {
    fixKafkajsEncoder();
    fixKafkajsFetch();
  });

  it.each(shapes)('writes the bytes kafkajs writes for %s', async (_name, args) => {
    const want = await theirs(args);
    expect(encodeFetch(args)).toEqual(want);
    expect(await viaFix(args)).toEqual(want);
  });

  it('writes replica id -1 for a fetch that names none (a replica id of 0 is a follower, and the broker answers not_leader)', () => {
    const body = encodeFetch(shapes[shapes.length - 1]![1])!;
    expect(body.readInt32BE(0)).toBe(-1);
  });

  it('leaves versions other than 11 to kafkajs', async () => {
    const args = shapes[0]![1];
    for (const version of [4, 7, 10]) {
      expect(Fetch.protocol({ version })(args).request.apiVersion).toBe(version);
      expect(await viaFix(args, version)).toEqual(await theirs(args, version));
    }
  });

  it('hands kafkajs what it does not take, and fails as kafkajs does on what neither can write', async () => {
    const forgotten = { ...base, topics: [], forgottenTopics: [{ topic: 't', partitions: [1, 2] }] };
    const nullRack = { ...base, topics: [], rackId: null } as unknown as FetchArgs;
    for (const args of [forgotten, nullRack]) {
      expect(encodeFetch(args)).toBeNull();
      expect(await viaFix(args)).toEqual(await theirs(args));
    }
    for (const fetchOffset of ['', '1e5', 1.5, null]) {
      const bad = { ...base, topics: [{ topic: 't', partitions: [{ partition: 0, fetchOffset, maxBytes: 1 }] }] };
      await expect(theirs(bad)).rejects.toThrow();
      await expect(viaFix(bad)).rejects.toThrow();
    }
  });

  it('is installed once', () => {
    const installed = Fetch.protocol;
    fixKafkajsFetch();
    expect(Fetch.protocol).toBe(installed);
    expect(installed).not.toBe(original.protocol);
  });
});
