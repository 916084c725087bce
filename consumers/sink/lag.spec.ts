import { lagOf, readLag, type LagSource, type TopicOffsets } from './lag';

/** A LagSource over fixed offsets that records what it was asked. */
function fakeSource(o: { committed: TopicOffsets[]; ends: TopicOffsets[]; starts: TopicOffsets[] }) {
  const asked: string[] = [];
  const pick = (all: TopicOffsets[], names: string[]) => all.filter((t) => names.includes(t.topic));
  const source: LagSource = {
    connect: async () => {},
    disconnect: async () => {},
    committed: async (groupId, names) => (asked.push(`committed ${groupId} ${names.join(',')}`), pick(o.committed, names)),
    offsets: async (names, earliest) => (asked.push(`${earliest ? 'starts' : 'ends'} ${names.join(',')}`), pick(earliest ? o.starts : o.ends, names)),
  };
  return { source, asked };
}

const parts = (...offsets: string[]) => offsets.map((offset, partition) => ({ partition, offset }));

describe('the sink lag check', () => {
  const ends = [{ topic: 'a', partitions: parts('10', '20') }, { topic: 'b', partitions: parts('5') }];
  const starts = [{ topic: 'a', partitions: parts('2', '0') }, { topic: 'b', partitions: parts('1') }];

  it('reads every topic in one request for the ends and one for the group, not a request per topic', async () => {
    const { source, asked } = fakeSource({ committed: [{ topic: 'a', partitions: parts('7', '20') }, { topic: 'b', partitions: parts('5') }], ends, starts });
    const lag = await readLag(source, 'g', ['a', 'b'], false);
    expect(lag).toEqual([{ topic: 'a', lag: 3, partitions: 2 }, { topic: 'b', lag: 0, partitions: 1 }]);
    expect(asked.sort()).toEqual(['committed g a,b', 'ends a,b']);
  });

  it('counts an uncommitted partition as caught up for a group that starts from the end, without reading the starts', async () => {
    const { source, asked } = fakeSource({ committed: [{ topic: 'a', partitions: parts('-1', '15') }], ends, starts });
    expect(await readLag(source, 'g', ['a', 'b'], false)).toEqual([{ topic: 'a', lag: 5, partitions: 2 }, { topic: 'b', lag: 0, partitions: 1 }]);
    expect(asked.some((a) => a.startsWith('starts'))).toBe(false);
  });

  it('counts an uncommitted partition from its first retained record for a group from the beginning, reading the starts of those topics only', async () => {
    const { source, asked } = fakeSource({ committed: [{ topic: 'a', partitions: parts('-1', '15') }, { topic: 'b', partitions: parts('4') }], ends, starts });
    expect(await readLag(source, 'g', ['a', 'b'], true)).toEqual([{ topic: 'a', lag: 13, partitions: 2 }, { topic: 'b', lag: 1, partitions: 1 }]);
    expect(asked).toContain('starts a');
    expect(asked.filter((a) => a.startsWith('starts'))).toEqual(['starts a']);
  });

  it('gives a topic without partitions lag 0, and never a negative lag', () => {
    expect(lagOf(['a', 'gone'], [{ topic: 'a', partitions: parts('30', '20') }], [{ topic: 'a', partitions: parts('10', '20') }], [], false)).toEqual([
      { topic: 'a', lag: 0, partitions: 2 },
      { topic: 'gone', lag: 0, partitions: 0 },
    ]);
  });
});
