import { createInheritance } from './inherit';
import { createOffsetTracker } from './offset-tracker';
import { recordingLogger } from './test-fakes';

describe('inheritance (gained request partitions)', () => {
  it('reads the previous owner\'s commit before requests of a gained partition are taken, and only for gained partitions', async () => {
    const old = createOffsetTracker();
    for (const o of [5, 6, 7]) old.begin('q', 2, o);
    old.end('q', 2, 6);
    const tracker = createOffsetTracker();
    const { logger } = recordingLogger();
    const inheritance = createInheritance({
      topic: 'q', tracker, logger, deadlineMs: 5000,
      fetchCommitted: async () => [{ partition: 2, offset: '5', metadata: old.handOver('q', 2) }, { partition: 3, offset: '9', metadata: null }],
    });
    expect(inheritance.ready(2)).toBeUndefined();
    inheritance.gained([2]);
    await inheritance.ready(2);
    expect([5, 6, 7].map((o) => tracker.seen('q', 2, o))).toEqual([false, true, false]);
    expect(tracker.committable('q', 3)).toBeNull();
    expect(inheritance.ready(2)).toBeUndefined();
  });

  it('gives up a read that keeps failing after its deadline and says so', async () => {
    const tracker = createOffsetTracker();
    const { logger, lines } = recordingLogger();
    const inheritance = createInheritance({ topic: 'q', tracker, logger, deadlineMs: 300, fetchCommitted: async () => { throw new Error('coordinator not available'); } });
    inheritance.gained([0]);
    await inheritance.ready(0);
    expect(lines).toEqual([expect.objectContaining({ level: 'warn', msg: expect.stringMatching(/committed offsets not read/) })]);
    expect(tracker.committable('q', 0)).toBeNull();
  });
});
