import { createCommitBatcher } from './commit-batcher';
import { createOffsetTracker } from './offset-tracker';
import { recordingLogger } from './test-fakes';

type Offsets = { topic: string; partition: number; offset: string; metadata?: string | null }[];

function setup(fail = false) {
  const calls: Offsets[] = [];
  const consumer = {
    fail,
    async commitOffsets(o: Offsets) {
      calls.push(o);
      if (consumer.fail) throw new Error('The group is rebalancing');
    },
  };
  const tracker = createOffsetTracker();
  const { logger, lines } = recordingLogger();
  return { calls, tracker, lines, consumer, batcher: createCommitBatcher({ topic: 'runs.requests.x86_64', tracker, consumer, logger, intervalMs: 10 }) };
}

describe('commit batcher', () => {
  it('gathers the commits of several finished runs into one request after the interval', async () => {
    const { calls, tracker, batcher } = setup();
    for (const [p, o] of [[0, 5], [1, 7], [0, 6]]) {
      tracker.begin('runs.requests.x86_64', p!, o!);
      tracker.end('runs.requests.x86_64', p!, o!);
    }
    batcher.commit(0);
    batcher.commit(1);
    batcher.commit(0);
    expect(calls).toEqual([]);
    await new Promise((r) => setTimeout(r, 30));
    expect(calls).toEqual([[{ topic: 'runs.requests.x86_64', partition: 0, offset: '7', metadata: null }, { topic: 'runs.requests.x86_64', partition: 1, offset: '8', metadata: null }]]);
  });

  it('never commits past a run that has not finished, and says in the metadata which later runs were answered', async () => {
    const { calls, tracker, batcher } = setup();
    tracker.begin('runs.requests.x86_64', 0, 10);
    tracker.begin('runs.requests.x86_64', 0, 11);
    tracker.end('runs.requests.x86_64', 0, 11);
    batcher.commit(0);
    await batcher.flush();
    expect(calls).toEqual([[{ topic: 'runs.requests.x86_64', partition: 0, offset: '10', metadata: tracker.handOver('runs.requests.x86_64', 0) }]]);
    const next = createOffsetTracker();
    next.inherit('runs.requests.x86_64', 0, 10, calls[0]![0]!.metadata ?? null);
    expect(next.seen('runs.requests.x86_64', 0, 11)).toBe(true);
    expect(next.seen('runs.requests.x86_64', 0, 10)).toBe(false);
  });

  it('commits a refused partition again once the group is joined, if the partition stayed', async () => {
    const { calls, tracker, batcher, consumer } = setup(true);
    for (const p of [0, 1]) tracker.answered('runs.requests.x86_64', p, 3);
    batcher.commit(0);
    batcher.commit(1);
    await batcher.flush();
    consumer.fail = false;
    await batcher.retry(new Set([1]));
    expect(calls.map((c) => c.map((o) => o.partition))).toEqual([[0, 1], [1]]);
    await batcher.retry(new Set([0, 1]));
    expect(calls).toHaveLength(2);
  });

  it('sends another topic’s offsets (a checkpoint’s edits) in one request with the runs’ due commits, and the interval then has nothing left', async () => {
    const { calls, tracker, batcher } = setup();
    tracker.begin('runs.requests.x86_64', 3, 4);
    tracker.end('runs.requests.x86_64', 3, 4);
    batcher.commit(3);
    await batcher.along([{ topic: 'editor.edits', partition: 3, offset: '12' }]);
    expect(calls).toEqual([[{ topic: 'runs.requests.x86_64', partition: 3, offset: '5', metadata: null }, { topic: 'editor.edits', partition: 3, offset: '12' }]]);
    await new Promise((r) => setTimeout(r, 30));
    expect(calls).toHaveLength(1);
    await batcher.along([{ topic: 'editor.edits', partition: 3, offset: '13' }]);
    expect(calls[1]).toEqual([{ topic: 'editor.edits', partition: 3, offset: '13' }]);
  });

  it('rejects a checkpoint whose joint commit was refused, and commits the runs’ partitions again once the group is joined', async () => {
    const { calls, tracker, batcher, consumer } = setup(true);
    tracker.answered('runs.requests.x86_64', 1, 0);
    batcher.commit(1);
    await expect(batcher.along([{ topic: 'editor.edits', partition: 1, offset: '3' }])).rejects.toThrow('rebalancing');
    consumer.fail = false;
    await batcher.retry(new Set([1]));
    expect(calls.map((c) => c.map((o) => `${o.topic}:${o.partition}:${o.offset}`))).toEqual([['runs.requests.x86_64:1:1', 'editor.edits:1:3'], ['runs.requests.x86_64:1:1']]);
  });

  it('logs a refused commit instead of throwing (the new owner redelivers)', async () => {
    const { calls, tracker, lines, batcher } = setup(true);
    tracker.begin('runs.requests.x86_64', 2, 0);
    tracker.end('runs.requests.x86_64', 2, 0);
    batcher.commit(2);
    await expect(batcher.flush()).resolves.toBeUndefined();
    expect(calls).toHaveLength(1);
    expect(lines).toEqual([expect.objectContaining({ level: 'warn', msg: 'offset commit failed' })]);
  });
});
