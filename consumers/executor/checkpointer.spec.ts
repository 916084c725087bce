import type { ProgramSnapshot } from '../../topics/types';
import { createCheckpointer } from './checkpointer';
import { recordingLogger } from './test-fakes';

const snap = (sessionId: string) => ({ sessionId, version: 3 }) as unknown as ProgramSnapshot;

function setup(o: { dirty: string[]; owned: number[]; sendFails?: boolean }) {
  let dirty = o.dirty.map(snap);
  const markedDirty: string[][] = [];
  const sent: { key: string; partition?: number }[][] = [];
  const commits: unknown[] = [];
  let commitFails = false;
  const { logger, lines } = recordingLogger();
  const cp = createCheckpointer({
    editsTopic: 'editor.edits',
    buffers: {
      takeDirty: () => {
        const d = dirty;
        dirty = [];
        return d;
      },
      markDirty: (ids) => void markedDirty.push(ids),
      get: (id) => ({ partition: id === 's1' ? 0 : 1 }) as ReturnType<Parameters<typeof createCheckpointer>[0]['buffers']['get']>,
    },
    sendSnapshots: async (records) => {
      sent.push(records.map((r) => ({ key: r.key, partition: r.partition })));
      if (o.sendFails) throw new Error('broker down');
    },
    consumer: {
      commitOffsets: async (c) => {
        commits.push(c);
        if (commitFails) throw new Error('rebalance in progress');
      },
    },
    owned: () => new Set(o.owned),
    logger,
  });
  return { cp, sent, commits, markedDirty, lines, failCommits: (f: boolean) => (commitFails = f) };
}

describe('checkpointer', () => {
  it('writes changed sessions to their partitions, then commits the edits they cover on owned partitions', async () => {
    const { cp, sent, commits } = setup({ dirty: ['s1', 's2'], owned: [0] });
    cp.applied(0, 41);
    cp.applied(1, 9);
    await cp.checkpoint();
    expect(sent).toEqual([[{ key: 's1', partition: 0 }, { key: 's2', partition: 1 }]]);
    expect(commits).toEqual([[{ topic: 'editor.edits', partition: 0, offset: '42' }]]);
  });

  it('commits no edit when the snapshot write fails, and marks the sessions dirty again', async () => {
    const { cp, commits, markedDirty, lines } = setup({ dirty: ['s1'], owned: [0], sendFails: true });
    cp.applied(0, 41);
    await cp.checkpoint();
    expect(commits).toEqual([]);
    expect(markedDirty).toEqual([['s1']]);
    expect(lines).toEqual([expect.objectContaining({ level: 'warn', msg: 'snapshot write failed; will retry' })]);
  });

  it('forgets the edits of partitions it lost', async () => {
    const { cp, commits } = setup({ dirty: [], owned: [0, 1] });
    cp.applied(0, 1);
    cp.applied(1, 2);
    cp.forget([1]);
    await cp.checkpoint();
    expect(commits).toEqual([[{ topic: 'editor.edits', partition: 0, offset: '2' }]]);
  });

  it('commits an offset once: not again while no edit moved it, again after a refused commit or once the partition came back', async () => {
    const { cp, commits, failCommits } = setup({ dirty: [], owned: [0, 1] });
    cp.applied(0, 5);
    await cp.checkpoint();
    await cp.checkpoint();
    expect(commits).toEqual([[{ topic: 'editor.edits', partition: 0, offset: '6' }]]);
    cp.applied(1, 7);
    failCommits(true);
    await cp.checkpoint();
    failCommits(false);
    await cp.checkpoint();
    await cp.checkpoint();
    expect(commits.slice(1)).toEqual([
      [{ topic: 'editor.edits', partition: 1, offset: '8' }],
      [{ topic: 'editor.edits', partition: 1, offset: '8' }],
    ]);
    cp.forget([0]);
    cp.applied(0, 5);
    await cp.checkpoint();
    expect(commits.slice(3)).toEqual([[{ topic: 'editor.edits', partition: 0, offset: '6' }]]);
  });
});
