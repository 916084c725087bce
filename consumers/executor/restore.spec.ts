import type { ProgramSnapshot } from '../../topics/types';
import { createRestore } from './restore';
import { deferred, recordingLogger } from './test-fakes';

function setup(read: (partitions: number[], on: (s: ProgramSnapshot, p: number) => void) => Promise<{ records: number; ms: number }>) {
  const events: string[] = [];
  const restored: string[] = [];
  const reports: unknown[] = [];
  const { logger, lines } = recordingLogger();
  const restore = createRestore({
    editsTopic: 'editor.edits',
    consumer: {
      pause: (t) => void events.push(`pause ${t.map((x) => x.partitions).join()}`),
      resume: (t) => void events.push(`resume ${t.map((x) => x.partitions).join()}`),
    },
    buffers: {
      dropPartitions: (ps) => (events.push(`drop ${[...ps]}`), 0),
      restore: (s, p) => void restored.push(`${s.sessionId}@${p}`),
    },
    readSnapshots: read,
    onLost: (lost) => void events.push(`lost ${lost}`),
    onRestore: (r) => void reports.push(r),
    logger,
    executorId: 'e1',
  });
  return { restore, events, restored, reports, lines };
}

describe('restore on rebalance', () => {
  it('pauses the edits of gained partitions until their buffers are rebuilt from snapshots, then resumes them', async () => {
    const reading = deferred<{ records: number; ms: number }>();
    let asked: number[] = [];
    const { restore, events, restored, reports } = setup((partitions, on) => {
      asked = partitions;
      on({ sessionId: 's1' } as ProgramSnapshot, 3);
      return reading.promise;
    });
    restore.assigned([3, 4]);
    expect(asked).toEqual([3, 4]);
    expect(events).toEqual(['drop ', 'lost ', 'pause 3,4']);
    expect(restore.ready(3)).toBeDefined();
    expect(restore.ready(5)).toBeUndefined();
    reading.resolve({ records: 1, ms: 7 });
    await restore.settled();
    expect(events).toEqual(['drop ', 'lost ', 'pause 3,4', 'resume 3,4']);
    expect(restore.ready(3)).toBeUndefined();
    expect(restored).toEqual(['s1@3']);
    expect(reports).toEqual([{ partitions: [3, 4], records: 1, ms: 7 }]);
    expect([...restore.owned()]).toEqual([3, 4]);
  });

  it('drops lost partitions and restores only the new ones', async () => {
    const asked: number[][] = [];
    const { restore, events } = setup(async (partitions) => (asked.push(partitions), { records: 0, ms: 0 }));
    restore.assigned([0, 1]);
    await restore.settled();
    restore.assigned([1, 2]);
    await restore.settled();
    expect(asked).toEqual([[0, 1], [2]]);
    expect(events.slice(-4)).toEqual(['drop 0', 'lost 0', 'pause 2', 'resume 2']);
  });

  it('resumes the edits even when reading the snapshots fails', async () => {
    const { restore, events, lines } = setup(async () => {
      throw new Error('changelog unreadable');
    });
    restore.assigned([7]);
    await restore.settled();
    expect(events).toContain('resume 7');
    expect(lines).toContainEqual(expect.objectContaining({ level: 'error', msg: 'restore failed' }));
  });
});
