import { createPartitionFence } from './partition-fence';

describe('partition fence (results across a rebalance)', () => {
  it('holds results while the group rebalances, then releases those of kept partitions and refuses those of lost ones', async () => {
    const fence = createPartitionFence({ holdMs: 10000 });
    fence.joined([0, 1]);
    await expect(fence.mayAnswer(0)).resolves.toBe(true);
    fence.rebalancing();
    const answers: [number, boolean][] = [];
    const kept = fence.mayAnswer(0).then((ok) => void answers.push([0, ok]));
    const lost = fence.mayAnswer(1).then((ok) => void answers.push([1, ok]));
    await new Promise((r) => setTimeout(r, 20));
    expect(answers).toEqual([]);
    expect(fence.joined([0, 2])).toEqual({ lost: [1], gained: [2] });
    await Promise.all([kept, lost]);
    expect(answers.sort()).toEqual([[0, true], [1, false]]);
  });

  it('answers no when a rebalance outlives the hold', async () => {
    const fence = createPartitionFence({ holdMs: 30 });
    fence.joined([0]);
    fence.rebalancing();
    await expect(fence.mayAnswer(0)).resolves.toBe(false);
  });
});
