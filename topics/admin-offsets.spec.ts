import { commitUncommittedEnds } from './admin';

/** A fake of the three admin calls: committed offsets per topic, end offsets, and what was set. */
function fakeAdmin(committed: Record<string, [number, string][]>, ends: Record<string, number[]>, fail?: Error) {
  const set: { topic: string; partitions: { partition: number; offset: string }[] }[] = [];
  return {
    set,
    async fetchOffsets({ topics }: { topics: string[] }) {
      return topics.map((topic) => ({ topic, partitions: (committed[topic] ?? []).map(([partition, offset]) => ({ partition, offset, metadata: null })) }));
    },
    async fetchTopicOffsets(topic: string) {
      return ends[topic]!.map((high, partition) => ({ partition, high: String(high), low: '0', offset: String(high) }));
    },
    async setOffsets(o: { groupId: string; topic: string; partitions: { partition: number; offset: string }[] }) {
      if (fail) throw fail;
      set.push({ topic: o.topic, partitions: o.partitions });
    },
  };
}

describe('commitUncommittedEnds', () => {
  it('commits the end of every partition the group never committed, and leaves committed ones alone', async () => {
    const admin = fakeAdmin({ results: [[0, '5'], [1, '-1']] }, { results: [9, 7, 3], output: [4] });
    const n = await commitUncommittedEnds(admin as never, 'g', ['results', 'output']);
    expect(n).toBe(3);
    expect(admin.set).toEqual([
      { topic: 'results', partitions: [{ partition: 1, offset: '7' }, { partition: 2, offset: '3' }] },
      { topic: 'output', partitions: [{ partition: 0, offset: '4' }] },
    ]);
  });

  it('commits nothing when every partition has an offset', async () => {
    const admin = fakeAdmin({ results: [[0, '1']] }, { results: [9] });
    expect(await commitUncommittedEnds(admin as never, 'g', ['results'])).toBe(0);
    expect(admin.set).toEqual([]);
  });

  it('leaves the positions to the members when the group is already running', async () => {
    const admin = fakeAdmin({}, { results: [9] }, new Error('The consumer group must have no running instances, current state: Stable'));
    expect(await commitUncommittedEnds(admin as never, 'g', ['results'])).toBe(0);
  });
});
