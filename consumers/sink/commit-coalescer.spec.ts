import { createCommitCoalescer, type OffsetCommit } from './commit-coalescer';

function fakeConsumer(fail?: Error) {
  const calls: OffsetCommit[][] = [];
  return { calls, consumer: { commitOffsets: async (offsets: OffsetCommit[]) => { calls.push(offsets); if (fail) throw fail; } } };
}

describe('commit coalescer', () => {
  it('sends the commits that fall due in one turn of the event loop as one request', async () => {
    const f = fakeConsumer();
    const c = createCommitCoalescer(f.consumer);
    await Promise.all([c.commit('runs.results', 0, '11'), c.commit('runs.results', 3, '7'), c.commit('editor.edits', 0, '40')]);
    expect(f.calls).toEqual([[
      { topic: 'runs.results', partition: 0, offset: '11' },
      { topic: 'runs.results', partition: 3, offset: '7' },
      { topic: 'editor.edits', partition: 0, offset: '40' },
    ]]);
  });

  it('commits the higher offset of a partition asked for twice in one turn, whatever the order', async () => {
    const f = fakeConsumer();
    const c = createCommitCoalescer(f.consumer);
    await Promise.all([c.commit('runs.results', 0, '20'), c.commit('runs.results', 0, '9')]);
    expect(f.calls).toEqual([[{ topic: 'runs.results', partition: 0, offset: '20' }]]);
  });

  it('sends what falls due later in a request of its own', async () => {
    const f = fakeConsumer();
    const c = createCommitCoalescer(f.consumer);
    await c.commit('runs.results', 0, '5');
    await c.commit('runs.results', 0, '6');
    expect(f.calls.map((o) => o.map((x) => x.offset))).toEqual([['5'], ['6']]);
  });

  it('rejects every caller of a refused commit with its error', async () => {
    const f = fakeConsumer(new Error('The coordinator is not aware of this member'));
    const c = createCommitCoalescer(f.consumer);
    const results = await Promise.allSettled([c.commit('runs.results', 0, '5'), c.commit('runs.results', 1, '2')]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(f.calls).toHaveLength(1);
  });
});
