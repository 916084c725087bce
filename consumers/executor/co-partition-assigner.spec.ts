import { blocksFor } from './co-partition-assigner';

describe('co-partition assigner', () => {
  it('splits partitions into contiguous blocks, every partition owned once', () => {
    const blocks = blocksFor(24, ['c', 'a', 'b']);
    expect(blocks.get('a')).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(blocks.get('b')).toEqual([8, 9, 10, 11, 12, 13, 14, 15]);
    expect(blocks.get('c')).toEqual([16, 17, 18, 19, 20, 21, 22, 23]);
  });

  it('gives a member nothing when there are more members than partitions', () => {
    const blocks = blocksFor(2, ['a', 'b', 'c']);
    expect([...blocks.values()].flat().sort()).toEqual([0, 1]);
    expect([...blocks.values()].filter((p) => p.length === 0)).toHaveLength(1);
  });
});
