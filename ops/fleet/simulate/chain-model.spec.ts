import { meanWait, waitQuantile } from '../../../analytics/forecast/erlang-c';
import { queueWait, simulateChainMinute, startsWithin, type ChainQueueState } from './chain-model';
import { emptyQueue, meanWaitOf, waitCdf, waitQuantileOf } from '../../../analytics/forecast/queue-model';

const minutes = (n: number, slots: number, runs: number, cpu: number, q: ChainQueueState = emptyQueue()) => {
  let r = simulateChainMinute(slots, { runs, cpuSeconds: cpu }, q);
  for (let i = 1; i < n; i++) r = simulateChainMinute(slots, { runs, cpuSeconds: cpu }, r.state);
  return r;
};

describe('chain fleet model (candidate)', () => {
  it('settles on Erlang C under a steady load', () => {
    const r = minutes(20, 10, 36, 360); // 6 Erlangs on 10 slots
    expect(r.state.inSystem).toBeCloseTo(6 + (0.1013 * 6) / 4, 1); // λS plus Erlang C's queue
    expect(meanWaitOf(r.waits)).toBeCloseTo(meanWait(10, { arrivalsPerSecond: 0.6, serviceSeconds: 10 }), 3);
    expect(waitQuantileOf(r.waits, 0.99) / waitQuantile(10, { arrivalsPerSecond: 0.6, serviceSeconds: 10 }, 0.99)).toBeCloseTo(1, 2);
    expect(r.busySlots).toBeCloseTo(6, 1);
  });

  it('an arrival that finds the slots busy waits for the completions ahead of it: the Erlang C tail', () => {
    // 9 Erlangs on 10 slots, steady: P(W > t) = C·exp(−(c − a)t/S).
    const r = minutes(60, 10, 54, 540);
    const pWait = 1 - waitCdf(r.waits, 0);
    for (const t of [1, 5, 20]) expect(1 - waitCdf(r.waits, t)).toBeCloseTo(pWait * Math.exp(-t / 10), 2);
  });

  it('far below the slots is M/M/∞: a Poisson number in the system whose mean relaxes towards λS, and nobody waits', () => {
    const r = simulateChainMinute(1000, { runs: 360, cpuSeconds: 3600 }, emptyQueue()); // 60 Erlangs on 1,000 slots
    expect(r.state.dist).toBeUndefined();
    expect(r.state.inSystem).toBeCloseTo(60 * (1 - Math.exp(-6)), 6);
    expect(waitCdf(r.waits, 0)).toBe(1);
    // The same minute on the chain (a state given as a distribution, lumped in cells of 2) agrees.
    const start: ChainQueueState = { inSystem: 0, service: 10, dist: { lo: 0, g: 1, p: Float64Array.of(1, 0) } };
    const chain = simulateChainMinute(1000, { runs: 360, cpuSeconds: 3600 }, start);
    expect(chain.state.inSystem).toBeCloseTo(r.state.inSystem, 1);
    expect(chain.busySlots).toBeCloseTo(r.busySlots, 0);
  });

  it('a queue above the slots grows at arrivals minus service and drains after', () => {
    // 12 Erlangs offered to 10 slots for 5 minutes: about 12 more runs queued each minute.
    let r = minutes(5, 10, 72, 720);
    expect(r.backlogEnd).toBeGreaterThan(4 * 12);
    expect(r.backlogEnd).toBeLessThan(5 * 12 + 15);
    const w = meanWaitOf(r.waits);
    expect(w).toBeGreaterThan(40);
    for (let i = 0; i < 4; i++) r = simulateChainMinute(10, { runs: 36, cpuSeconds: 360 }, r.state);
    expect(r.backlogEnd).toBeLessThan(6); // drained at 0.4 runs/s; a random walk's spread keeps a little
    expect(meanWaitOf(r.waits)).toBeLessThan(w / 10);
  });

  it('slots added at a minute start take queued runs at once', () => {
    expect(queueWait(120, 30, 10, 10)).toBeCloseTo(120, 6);
    // 30 served by second 60; 10 new slots take 10 more at once; 80 left at 2 runs/s.
    expect(queueWait(120, 30, 10, 10, () => 20)).toBeCloseTo(30 + 40, 6);
    expect(queueWait(5, 0, 0, 10, () => 0)).toBe(86400);
    expect(startsWithin(90, 30, 10, 10, () => 20)).toEqual({ completions: 30 + 120, slotChange: 10 });
  });

  it('queues everything when there are no slots', () => {
    const r = simulateChainMinute(0, { runs: 10, cpuSeconds: 100 }, emptyQueue());
    expect(waitQuantileOf(r.waits, 0.5)).toBeGreaterThan(3600);
  });
});
