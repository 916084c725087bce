import { meanWait, waitQuantile } from './erlang-c';
import { countPeakedness, emptyQueue, equivalentUtilisation, fluidWait, meanWaitOf, simulateMinute, waitQuantileOf, type QueueState } from './queue-model';

const minutes = (n: number, slots: number, runs: number, cpu: number, q: QueueState = emptyQueue()) => {
  let r = simulateMinute(slots, { runs, cpuSeconds: cpu }, q);
  for (let i = 1; i < n; i++) r = simulateMinute(slots, { runs, cpuSeconds: cpu }, r.state);
  return r;
};

describe('fleet simulation minute model', () => {
  // A minute's count is given, so its runs are less bursty than Poisson (peakedness z): Hayward's c/z slots, a/z Erlangs.
  const z = countPeakedness(10);
  const hayward = (c: number, perSecond: number) => ({ c: c / z, load: { arrivalsPerSecond: perSecond / z, serviceSeconds: 10 } });

  it('takes the peakedness of runs placed at uniform times in a minute of a given count', () => {
    expect(z).toBeCloseTo(0.861, 3); // 1 − (1/6)(1 − (1/6)(1 − e^−6))
    expect(countPeakedness(0.01)).toBeGreaterThan(0.999); // runs gone before the count matters: Poisson
    expect(countPeakedness(30)).toBeLessThan(z);
    expect(countPeakedness(0)).toBe(1);
  });

  it("settles on Erlang C under a steady load, in Hayward's units", () => {
    const r = minutes(20, 10, 36, 360); // 6 Erlangs on 10 slots
    const h = hayward(10, 0.6);
    const c = h.c;
    const a = 6 / z;
    const pWait = meanWait(c, h.load) / ((10 * 1) / (c - a)); // Erlang C's C(c, a) from its mean wait
    expect(r.state.inSystem).toBeCloseTo(z * (a + (pWait * a) / (c - a)), 1); // λS plus Erlang C's queue, scaled back
    expect(meanWaitOf(r.waits)).toBeCloseTo(meanWait(c, h.load), 3);
    expect(waitQuantileOf(r.waits, 0.99)).toBeCloseTo(waitQuantile(c, h.load, 0.99), 2);
    expect(meanWaitOf(r.waits)).toBeLessThan(meanWait(10, { arrivalsPerSecond: 0.6, serviceSeconds: 10 })); // less bursty than Poisson
    expect(r.busySlots).toBeCloseTo(6, 1);
  });

  it('holds a steady queue of more runs than slots near saturation, as a steady M/M/c does', () => {
    // 97 Erlangs on 100 slots: the steady queue holds more than 100 runs at ρ = 0.97 (the model once drained
    // everything above the slots at the full c/S and held it at about c).
    const h = hayward(100, 9.7);
    const r = minutes(40, 100, 582, 5820);
    expect(r.state.inSystem).toBeGreaterThan(100);
    expect(meanWaitOf(r.waits) / meanWait(h.c, h.load)).toBeCloseTo(1, 1);
    expect(r.busySlots).toBeCloseTo(97, 0);
  });

  it('builds a queue near saturation over minutes, not within the first one', () => {
    const h = hayward(20, 1.7);
    const steady = meanWait(h.c, h.load); // 17 Erlangs on 20 slots
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
    expect(equivalentUtilisation(10, 1000)).toBeGreaterThan(0.99);
    expect(equivalentUtilisation(10, 1000)).toBeLessThan(1);
  });

  it('queues everything when there are no slots', () => {
    const r = simulateMinute(0, { runs: 10, cpuSeconds: 100 }, emptyQueue());
    expect(waitQuantileOf(r.waits, 0.5)).toBeGreaterThan(3600);
  });
});
