import { waitForSinkDrain, type SinkDrainState } from './sink-drain';

/** A clock that the fake sleep moves on, and a sink whose state is read from a script by time. */
function fakeSink(script: [atMs: number, state: SinkDrainState | null][]) {
  let t = 1000;
  const clock = { now: () => t, sleep: async (ms: number) => void (t += ms) };
  const read = async () => [...script].reverse().find(([at]) => at <= t)?.[1] ?? null;
  return { clock, read };
}
const loaded = (lagCheckedAt: number): SinkDrainState => ({ totalLag: 0, lagCheckedAt, bufferedRows: 0, inFlightRows: 0 });

describe('waitForSinkDrain', () => {
  it('waits for a lag check after the last run, with nothing buffered or in flight', async () => {
    const { clock, read } = fakeSink([
      [1000, { totalLag: 40, lagCheckedAt: 900, bufferedRows: 12, inFlightRows: 28 }],
      // Loaded, but its lag was last checked before the runs ended: not yet known to be drained.
      [2000, loaded(900)],
      [4000, loaded(3900)],
    ]);
    expect(await waitForSinkDrain(read, { since: 1000, deadlineMs: 30_000, ...clock })).toBe(3000);
  });

  it('does not call a sink drained while rows are still being inserted', async () => {
    const { clock, read } = fakeSink([
      [1000, { totalLag: 0, lagCheckedAt: 1500, bufferedRows: 0, inFlightRows: 5 }],
      [2500, loaded(1500)],
    ]);
    expect(await waitForSinkDrain(read, { since: 1000, deadlineMs: 30_000, ...clock })).toBe(1500);
  });

  it('gives up at its deadline with null when the sink keeps lagging or does not answer', async () => {
    const lagging = fakeSink([[1000, { totalLag: 3, lagCheckedAt: 5000, bufferedRows: 0, inFlightRows: 0 }]]);
    expect(await waitForSinkDrain(lagging.read, { since: 1000, deadlineMs: 2000, ...lagging.clock })).toBeNull();
    const silent = fakeSink([]);
    expect(await waitForSinkDrain(silent.read, { since: 1000, deadlineMs: 2000, ...silent.clock })).toBeNull();
  });
});
