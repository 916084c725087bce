import { createPeriodicCommits } from './periodic-commits';

type Offsets = { topic: string; partition: number; offset: string }[];

function setup() {
  const calls: Offsets[] = [];
  const warnings: string[] = [];
  const consumer = {
    fail: false,
    async commitOffsets(o: Offsets) {
      calls.push(o);
      if (consumer.fail) throw new Error('The group is rebalancing');
    },
  };
  const commits = createPeriodicCommits(consumer, { warn: (_f, m) => void warnings.push(m ?? '') }, 10);
  return { calls, warnings, consumer, commits };
}

describe('periodic commits', () => {
  it('commits the offset after the last message seen per partition, once per tick, and nothing when nothing is new', async () => {
    const { calls, commits } = setup();
    commits.seen('runs.results', 0, '4');
    commits.seen('runs.results', 0, '9');
    commits.seen('runs.output', 2, '17');
    await commits.flush();
    expect(calls).toEqual([[{ topic: 'runs.results', partition: 0, offset: '10' }, { topic: 'runs.output', partition: 2, offset: '18' }]]);
    await commits.flush();
    expect(calls).toHaveLength(1);
  });

  it('keeps a refused commit for the next tick, where a newer offset of the same partition replaces it', async () => {
    const { calls, warnings, consumer, commits } = setup();
    commits.seen('runs.results', 0, '4');
    commits.seen('runs.results', 1, '6');
    consumer.fail = true;
    await commits.flush();
    expect(warnings).toHaveLength(1);
    consumer.fail = false;
    commits.seen('runs.results', 0, '5');
    await commits.flush();
    expect(calls[1]).toEqual(expect.arrayContaining([{ topic: 'runs.results', partition: 0, offset: '6' }, { topic: 'runs.results', partition: 1, offset: '7' }]));
    expect(calls[1]).toHaveLength(2);
  });

  it('commits on its timer once started, and what is due when stopped', async () => {
    const { calls, commits } = setup();
    commits.start();
    commits.seen('runs.results', 3, '1');
    await new Promise((r) => setTimeout(r, 40));
    expect(calls).toEqual([[{ topic: 'runs.results', partition: 3, offset: '2' }]]);
    commits.seen('runs.results', 3, '2');
    await commits.stop();
    expect(calls[1]).toEqual([{ topic: 'runs.results', partition: 3, offset: '3' }]);
    commits.seen('runs.results', 3, '3');
    await new Promise((r) => setTimeout(r, 40));
    expect(calls).toHaveLength(2);
  });
});
