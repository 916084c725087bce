/**
 * Open-loop load: runs arrive at a fixed offered rate (Poisson arrivals), whatever
 * the service does, as people pressing Run do, and each one's latency counts from its
 * arrival. A closed loop (N clients back to back) cannot show latency "at a rate":
 * its latency is N / throughput by Little's law. Each of the `runners` (an editor
 * session) carries one run at a time; an arrival that finds none idle waits for the
 * first one free, and that wait is part of its latency. The clock, sleep and random
 * source are arguments, so the spec drives it in virtual time.
 */
export interface OpenLoopResult { offered: number; arrivals: number; done: number; failed: number; latencies: number[]; seconds: number }

export async function openLoop<R>(o: {
  ratePerSecond: number; seconds: number; runners: R[];
  run: (runner: R) => Promise<{ ok: boolean; latencyMs: number }>;
  now?: () => number; sleep?: (ms: number) => Promise<void>; random?: () => number;
}): Promise<OpenLoopResult> {
  const now = o.now ?? (() => performance.now());
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = o.random ?? Math.random;
  if (!(o.ratePerSecond > 0) || !(o.seconds > 0) || !o.runners.length) throw new Error('openLoop needs a positive rate, a positive duration and at least one runner');
  const idle = [...o.runners];
  const waiting: { at: number; start: (r: R) => void }[] = [];
  const latencies: number[] = [];
  let failed = 0;
  const inFlight: Promise<void>[] = [];

  const start = (runner: R, arrivedAt: number) => {
    inFlight.push((async () => {
      const sentAt = now();
      try {
        const r = await o.run(runner);
        if (r.ok) latencies.push(sentAt - arrivedAt + r.latencyMs);
        else failed++;
      } catch {
        failed++;
      }
      const next = waiting.shift();
      if (next) next.start(runner);
      else idle.push(runner);
    })());
  };

  const t0 = now();
  const end = t0 + o.seconds * 1000;
  let arrivals = 0;
  // The next arrival's time: exponential gaps, scheduled against the clock (late timers do not slow the rate down).
  let at = t0;
  for (;;) {
    at += (-Math.log(1 - random()) / o.ratePerSecond) * 1000;
    if (at >= end) break;
    const gap = at - now();
    if (gap > 0) await sleep(gap);
    arrivals++;
    const runner = idle.pop();
    const arrivedAt = at;
    if (runner !== undefined) start(runner, arrivedAt);
    else waiting.push({ at: arrivedAt, start: (r) => start(r, arrivedAt) });
  }
  // Everything that arrived is run to its end (each run has its own deadline in `run`).
  while (inFlight.length) await inFlight.shift();
  return { offered: o.ratePerSecond, arrivals, done: latencies.length, failed, latencies, seconds: (now() - t0) / 1000 };
}
