import { createCommitBatcher } from './commit-batcher';
import { createOffsetTracker } from './offset-tracker';
import { recordingLogger } from './test-fakes';

type Offsets = { topic: string; partition: number; offset: string }[];

function setup(fail = false) {
  const calls: Offsets[] = [];
  const consumer = {
    commitOffsets: async (o: Offsets) => {
      calls.push(o);
      if (fail) throw new Error('not the owner');
    },
  };
  const tracker = createOffsetTracker();
  const { logger, lines } = recordingLogger();
  return { calls, tracker, lines, batcher: createCommitBatcher({ topic: 'runs.requests.x86_64', tracker, consumer, logger, intervalMs: 10 }) };
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
    expect(calls).toEqual([[{ topic: 'runs.requests.x86_64', partition: 0, offset: '7' }, { topic: 'runs.requests.x86_64', partition: 1, offset: '8' }]]);
  });

  it('never commits past a run that has not finished', async () => {
    const { calls, tracker, batcher } = setup();
    tracker.begin('runs.requests.x86_64', 0, 10);
    tracker.begin('runs.requests.x86_64', 0, 11);
    tracker.end('runs.requests.x86_64', 0, 11);
    batcher.commit(0);
    await batcher.flush();
    expect(calls).toEqual([[{ topic: 'runs.requests.x86_64', partition: 0, offset: '10' }]]);
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
