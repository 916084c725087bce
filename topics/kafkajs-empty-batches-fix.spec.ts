import { loadKafkajs as load } from './kafkajs-internals';
import { ConsumerGroup, fetchBatchesWithRecords, fixKafkajsEmptyBatches, original, withRecords } from './kafkajs-empty-batches-fix';

type KafkaBatch = { partition: number; rawMessages: unknown[]; isEmpty(): boolean; isEmptyDueToFiltering(): boolean };
const Batch = load('kafkajs/src/consumer/batch') as new (topic: string, fetchedOffset: string, partitionData: Record<string, unknown>) => KafkaBatch;
const Runner = load('kafkajs/src/consumer/runner') as new (o: Record<string, unknown>) => { fetch(nodeId: number): Promise<KafkaBatch[]>; running: boolean };
const { createLogger, LEVELS } = load('kafkajs/src/loggers') as { createLogger(o: { level: number; logCreator: () => () => void }): unknown; LEVELS: { NOTHING: number } };
const InstrumentationEmitter = load('kafkajs/src/instrumentation/emitter') as new () => unknown;

const record = (offset: string, extra: Record<string, unknown> = {}) => ({ offset, key: Buffer.from('k'), value: Buffer.from('v'), timestamp: '0', headers: {}, isControlRecord: false, ...extra });
const partition = (p: number, messages: unknown[]) => ({ partition: p, highWatermark: '10', abortedTransactions: [], messages });

describe('kafkajs empty batches fix', () => {
  it('keeps the batches with records and those whose records kafkajs filters out, and drops the empty ones', () => {
    const batches = [
      new Batch('t', '5', partition(0, [])),
      new Batch('t', '5', partition(1, [record('5'), record('6')])),
      // Only records below the fetched offset (a compacted or compressed batch): still moves the offset.
      new Batch('t', '5', partition(2, [record('3')])),
      // Only a transaction marker.
      new Batch('t', '5', partition(3, [record('5', { isControlRecord: true })])),
      new Batch('t', '5', partition(4, [])),
    ];
    expect(batches[2]!.isEmptyDueToFiltering() && batches[3]!.isEmptyDueToFiltering()).toBe(true);
    expect(withRecords(batches).map((b) => b.partition)).toEqual([1, 2, 3]);
    const full = batches.slice(1, 3);
    expect(withRecords(full)).toBe(full);
    expect(withRecords([batches[0]!])).toEqual([]);
  });

  it("relies on kafkajs's runner heartbeating once for a fetch that returns no batches", async () => {
    const heartbeat = jest.fn(async () => undefined);
    const fetch = jest.fn(async () => withRecords([new Batch('t', '0', partition(0, [])), new Batch('t', '0', partition(1, []))]));
    const runner = new Runner({
      logger: createLogger({ level: LEVELS.NOTHING, logCreator: () => () => undefined }),
      consumerGroup: { fetch, heartbeat, groupId: 'g', memberId: 'm' },
      instrumentationEmitter: new InstrumentationEmitter(),
      eachMessage: async () => undefined,
      heartbeatInterval: 3000,
      onCrash: () => undefined,
      concurrency: 1,
    });
    runner.running = true;
    expect(await runner.fetch(0)).toEqual([]);
    expect(heartbeat).toHaveBeenCalledTimes(1);
    expect(heartbeat).toHaveBeenCalledWith({ interval: 3000 });
  });

  it("installs over kafkajs's ConsumerGroup.fetch and filters what it returns", async () => {
    fixKafkajsEmptyBatches();
    expect(ConsumerGroup.prototype.fetch).toBe(fetchBatchesWithRecords);
    const own = original.fetch;
    const batches = [new Batch('t', '0', partition(0, [])), new Batch('t', '0', partition(1, [record('0')]))];
    original.fetch = async () => batches;
    try {
      expect((await ConsumerGroup.prototype.fetch.call({}, 0)).map((b) => (b as KafkaBatch).partition)).toEqual([1]);
    } finally {
      original.fetch = own;
    }
  });
});
