import { openLoop } from './open-loop';
import { seededRandom } from './stats';

/** A virtual clock: sleeping advances it, and a fake run takes `serviceMs` of it. */
function virtualTime() {
  let t = 0;
  const timers: { at: number; fire: () => void }[] = [];
  const sleep = (ms: number) => new Promise<void>((resolve) => {
    timers.push({ at: t + ms, fire: resolve });
    timers.sort((a, b) => a.at - b.at);
  });
  // Runs the earliest timer once everything else has settled.
  const pump = async () => {
    for (;;) {
      for (let i = 0; i < 20; i++) await Promise.resolve();
      const next = timers.shift();
      if (!next) return;
      t = Math.max(t, next.at);
      next.fire();
    }
  };
  return { now: () => t, sleep, pump };
}

describe('open-loop load', () => {
  it('offers runs at the asked rate whatever the service does, and counts every arrival', async () => {
    const v = virtualTime();
    const runs: number[] = [];
    const done = openLoop({
      ratePerSecond: 100, seconds: 20, runners: [1, 2, 3, 4], now: v.now, sleep: v.sleep, random: seededRandom(7),
      run: async (r) => (runs.push(r), await v.sleep(5), { ok: true, latencyMs: 5 }),
    });
    await v.pump();
    const r = await done;
    // 2,000 expected arrivals; a Poisson count's standard deviation is about 45.
    expect(r.arrivals).toBeGreaterThan(1850);
    expect(r.arrivals).toBeLessThan(2150);
    expect(r.done).toBe(r.arrivals);
    expect(runs).toHaveLength(r.arrivals);
    expect(r.failed).toBe(0);
  });

  it('counts the wait for a free runner in the latency: one runner of 20 ms runs at 40 runs/s queues', async () => {
    const v = virtualTime();
    const done = openLoop({
      ratePerSecond: 40, seconds: 30, runners: ['only'], now: v.now, sleep: v.sleep, random: seededRandom(3),
      run: async () => (await v.sleep(20), { ok: true, latencyMs: 20 }),
    });
    await v.pump();
    const r = await done;
    const mean = r.latencies.reduce((a, b) => a + b, 0) / r.latencies.length;
    // M/D/1 at ρ = 0.8: mean wait ρ·S / (2(1 − ρ)) = 40 ms, so mean latency ≈ 60 ms (well above the 20 ms of service).
    expect(mean).toBeGreaterThan(40);
    expect(mean).toBeLessThan(90);
    expect(Math.min(...r.latencies)).toBeGreaterThanOrEqual(20);
  });

  it('counts failed and throwing runs apart from the latencies', async () => {
    const v = virtualTime();
    let i = 0;
    const done = openLoop({
      ratePerSecond: 50, seconds: 2, runners: [1, 2], now: v.now, sleep: v.sleep, random: seededRandom(1),
      run: async () => {
        await v.sleep(1);
        i++;
        if (i % 3 === 0) throw new Error('socket closed');
        return { ok: i % 3 === 1, latencyMs: 1 };
      },
    });
    await v.pump();
    const r = await done;
    expect(r.done + r.failed).toBe(r.arrivals);
    expect(r.failed).toBeGreaterThan(r.arrivals / 2 - 5);
  });

  it('refuses a rate or duration that is not positive', async () => {
    await expect(openLoop({ ratePerSecond: 0, seconds: 1, runners: [1], run: async () => ({ ok: true, latencyMs: 1 }) })).rejects.toThrow('positive rate');
  });
});
