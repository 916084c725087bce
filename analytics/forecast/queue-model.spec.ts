import { meanWait, probabilityOfWait, waitQuantile } from './erlang-c';
import { ARRIVAL_CV2, emptyQueue, equivalentUtilisation, fluidWait, meanWaitOf, simulateMinute, waitCdf, waitQuantileOf, type QueueState } from './queue-model';

const minutes = (n: number, slots: number, runs: number, cpu: number, q: QueueState = emptyQueue()) => {
  let r = simulateMinute(slots, { runs, cpuSeconds: cpu }, q);
  for (let i = 1; i < n; i++) r = simulateMinute(slots, { runs, cpuSeconds: cpu }, r.state);
  return r;
};

describe('fleet simulation minute model', () => {
  // A minute's count is given, so its runs are less bursty than Poisson: Allen–Cunneen's variability
  // v = (ca² + cs²)/2 with ca² = ARRIVAL_CV2, which erlang-c.ts takes as a service cv² of ca² + cs² − 1.
  const v = (ARRIVAL_CV2 + 1) / 2;
  const smooth = (perSecond: number) => ({ arrivalsPerSecond: perSecond, serviceSeconds: 10, serviceCv2: 2 * v - 1 });

  it('takes a given count as smoother than Poisson arrivals', () => {
    expect(ARRIVAL_CV2).toBeGreaterThan(0);
    expect(ARRIVAL_CV2).toBeLessThan(1);
    expect(v).toBeCloseTo(0.575, 6);
  });

  it('settles on Erlang C scaled by the variability (Allen–Cunneen) under a steady load', () => {
    const r = minutes(20, 10, 36, 360); // 6 Erlangs on 10 slots
    const pWait = probabilityOfWait(10, 6);
    expect(r.state.inSystem).toBeCloseTo(6 + (v * pWait * 6) / 4, 1); // λS plus v times Erlang C's queue
    expect(meanWaitOf(r.waits)).toBeCloseTo(meanWait(10, smooth(0.6)), 3);
    expect(meanWaitOf(r.waits)).toBeCloseTo(v * meanWait(10, { arrivalsPerSecond: 0.6, serviceSeconds: 10 }), 3);
    expect(waitQuantileOf(r.waits, 0.99)).toBeCloseTo(waitQuantile(10, smooth(0.6), 0.99), 2);
    expect(r.busySlots).toBeCloseTo(6, 1);
  });

  it('holds a steady queue of more runs than slots near saturation, as a steady queue does', () => {
    // 97 Erlangs on 100 slots: the steady queue holds more than 100 runs at ρ = 0.97 (the model once drained
    // everything above the slots at the full c/S and held it at about c).
    const r = minutes(40, 100, 582, 5820);
    expect(r.state.inSystem).toBeGreaterThan(100);
    expect(meanWaitOf(r.waits) / meanWait(100, smooth(9.7))).toBeCloseTo(1, 1);
    expect(r.busySlots).toBeCloseTo(97, 0);
  });

  it('spreads the waits of a state just above the slots: some runs wait nothing, some several times the mean', () => {
    // 99 Erlangs on 100 slots, steady: the state holds ~20 runs more than slots, under half the Halfin–Whitt depth
    // (5√c = 50), so most of a run's wait is Erlang C's conditional wait, not the fluid wait behind the queue
    // (which gave every run of a step about the same wait, so the share over 1 s jumped from 0 to 1 around it).
    const r = minutes(60, 100, 594, 5940);
    expect(r.state.inSystem).toBeGreaterThan(110);
    expect(r.state.inSystem).toBeLessThan(200);
    const mean = meanWaitOf(r.waits);
    const noWait = waitCdf(r.waits, 0);
    expect(noWait).toBeGreaterThan(0.05); // Erlang C's 1 − C: the state is a distribution about its mean
    expect(1 - waitCdf(r.waits, 3 * mean)).toBeGreaterThan(0.02); // the exponential tail (e^−3 of the waiting ones)
    // The same share as Erlang C at the steady utilisation gives over 1 s, within a few points.
    const share = 1 - waitCdf(r.waits, 1);
    const erlang = 1 - (1 - probabilityOfWait(100, 99)) - probabilityOfWait(100, 99) * (1 - Math.exp(-(100 - 99) / (10 * v)));
    expect(share).toBeGreaterThan(0.5 * erlang);
    expect(share).toBeLessThan(1.5 * erlang);
  });

  it('waits as a fluid deep above the slots: the runs of a minute wait about the same', () => {
    // 120 Erlangs offered to 100 slots with 3,000 runs in the system: 30 times the Halfin–Whitt depth (10√c) above
    // the slots, a wait of ~5 minutes behind the queue for every run of the minute.
    const r = simulateMinute(100, { runs: 720, cpuSeconds: 7200 }, { inSystem: 3000, service: 10 });
    const p50 = waitQuantileOf(r.waits, 0.5);
    expect(p50).toBeGreaterThan(280);
    expect(p50).toBeLessThan(320);
    expect(waitQuantileOf(r.waits, 0.99) / p50).toBeLessThan(1.2); // an exponential's would be 6.6
    expect(waitCdf(r.waits, 0.8 * p50)).toBeLessThan(0.05);
    // A queue a few times the depth is a mixture: its spread lies between the fluid's and the exponential's.
    const mid = simulateMinute(100, { runs: 720, cpuSeconds: 7200 }, { inSystem: 400, service: 10 });
    const ratio = waitQuantileOf(mid.waits, 0.99) / waitQuantileOf(mid.waits, 0.5);
    expect(ratio).toBeGreaterThan(1.5);
    expect(ratio).toBeLessThan(6.6);
  });

  it('builds a queue near saturation over minutes, not within the first one', () => {
    const steady = meanWait(20, smooth(1.7)); // 17 Erlangs on 20 slots
    const first = simulateMinute(20, { runs: 102, cpuSeconds: 1020 }, emptyQueue());
    expect(meanWaitOf(first.waits)).toBeLessThan(steady / 2); // a third of it (0.37 of 1.05 s)
    expect(meanWaitOf(minutes(30, 20, 102, 1020).waits) / steady).toBeCloseTo(1, 1);
  });

  it('moves a long queue as a fluid: it grows at arrivals minus service and drains after', () => {
    // 12 Erlangs offered to 10 slots for 5 minutes: about 12 more runs queued each minute.
    let r = simulateMinute(10, { runs: 72, cpuSeconds: 720 }, emptyQueue());
    for (let i = 1; i < 5; i++) r = simulateMinute(10, { runs: 72, cpuSeconds: 720 }, r.state);
    expect(r.backlogEnd).toBeGreaterThan(4 * 12);
    expect(r.backlogEnd).toBeLessThan(5 * 12 + 10);
    const w = meanWaitOf(r.waits);
    expect(w).toBeGreaterThan(40); // ~50 runs ahead at 1 run/s
    // Back to 6 Erlangs: the queue drains at 0.4 runs/s.
    let after = r;
    for (let i = 0; i < 4; i++) after = simulateMinute(10, { runs: 36, cpuSeconds: 360 }, after.state);
    expect(after.backlogEnd).toBeLessThan(1);
    expect(meanWaitOf(after.waits)).toBeLessThan(w / 10);
  });

  it('serves a long queue by the slots of the coming minutes', () => {
    // 120 runs ahead at second 30, 10 s each: 10 slots serve 30 in the rest of the minute.
    expect(fluidWait(120, 30, 10, 10)).toBeCloseTo(120, 6);
    // The fleet doubles next minute: the other 90 take 45 s there.
    expect(fluidWait(120, 30, 10, 10, () => 20)).toBeCloseTo(30 + 45, 6);
    // A wait within the minute does not look ahead; no slots at all is a day.
    expect(fluidWait(20, 0, 10, 10, () => 1000)).toBeCloseTo(20, 6);
    expect(fluidWait(5, 0, 0, 10, () => 0)).toBe(86400);
    // A growing fleet shortens the waits behind a long queue in a minute.
    const long: QueueState = { inSystem: 600, service: 10 };
    const flat = simulateMinute(100, { runs: 600, cpuSeconds: 6000 }, long);
    const growing = simulateMinute(100, { runs: 600, cpuSeconds: 6000 }, long, 1, (k) => 100 + 50 * k);
    expect(meanWaitOf(growing.waits)).toBeLessThan(meanWaitOf(flat.waits) * 0.9);
    expect(growing.state.inSystem).toBeCloseTo(flat.state.inSystem, 6); // the minute itself is unchanged
  });

  it('inverts the steady queue length: ρ at which M/M/c holds x runs', () => {
    expect(equivalentUtilisation(10, 0)).toBe(0);
    expect(equivalentUtilisation(10, 2)).toBeCloseTo(0.2, 6); // no queue to speak of: x / c
    const rho = equivalentUtilisation(10, 6 + 0.1013 * 1.5);
    expect(rho).toBeCloseTo(0.6, 3);
    // With the variability v the steady queue is v times Erlang C's: the same x is a busier queue.
    expect(equivalentUtilisation(10, 6 + 0.6 * 0.1013 * 1.5, undefined, undefined, 0.6)).toBeCloseTo(0.6, 3);
    expect(equivalentUtilisation(10, 6 + 0.1013 * 1.5, undefined, undefined, 0.6)).toBeGreaterThan(0.6);
    // Deep above the slots (closed form, C = 1): cρ + v·ρ/(1 − ρ) = x.
    const deep = equivalentUtilisation(10, 1000, undefined, undefined, 0.6);
    expect(10 * deep + (0.6 * deep) / (1 - deep)).toBeCloseTo(1000, 6);
    expect(equivalentUtilisation(10, 1000)).toBeGreaterThan(0.99);
    expect(equivalentUtilisation(10, 1000)).toBeLessThan(1);
  });

  it('queues everything when there are no slots', () => {
    const r = simulateMinute(0, { runs: 10, cpuSeconds: 100 }, emptyQueue());
    expect(waitQuantileOf(r.waits, 0.5)).toBeGreaterThan(3600);
  });
});
