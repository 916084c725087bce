import { seededRandom } from '../../load/stats';
import { gauss } from './trace';

/**
 * The run-by-run simulation's random stream for a seed: not the stream of the
 * same seed elsewhere (generateTrace draws its counts from seededRandom(seed),
 * so trace 1 replayed with seed 1 drew its arrival times from the numbers its
 * counts came from). The seed is mixed into another point of the generator's
 * cycle (a 32-bit multiplicative hash).
 */
export function runByRunRandom(seed: number): () => number {
  return seededRandom((Math.imul(seed ^ 0x2545f491, 0x9e3779b1) ^ 0x5f356495) >>> 0);
}

/**
 * A run-by-run discrete-event simulation of one class's queue, to validate
 * the minute model (queue-model.ts): each minute's runs arrive at uniform
 * random times, each takes a lognormal service time (the minute's mean, cv 1),
 * FIFO onto `slots[i]` servers that change at minute boundaries (a removed
 * server finishes its run first). Returns every run's wait, in seconds.
 */
export function simulateRuns(q: { runs: ArrayLike<number>; cpuSeconds: ArrayLike<number>; slots: ArrayLike<number>; seed?: number; serviceCv2?: number; service?: 'lognormal' | 'exponential' }): Float64Array {
  const rand = runByRunRandom(q.seed ?? 7);
  const sigma2 = Math.log(1 + (q.serviceCv2 ?? 1));
  const minutes = q.runs.length;
  const arrivals: number[] = [];
  const services: number[] = [];
  for (let i = 0; i < minutes; i++) {
    const n = Math.round(q.runs[i]!);
    if (n <= 0) continue;
    const mean = q.cpuSeconds[i]! / n;
    const mu = Math.log(mean) - sigma2 / 2;
    const ts: number[] = [];
    for (let k = 0; k < n; k++) ts.push(i * 60 + rand() * 60);
    ts.sort((a, b) => a - b);
    for (const t of ts) {
      arrivals.push(t);
      services.push(q.service === 'exponential' ? -mean * Math.log(1 - rand()) : Math.exp(mu + Math.sqrt(sigma2) * gauss(rand)));
    }
  }
  const waits = new Float64Array(arrivals.length);
  const done = new MinHeap();
  const queue: number[] = []; // indices of waiting runs
  let head = 0;
  let busy = 0;
  let cap = 0;
  let next = 0;
  const start = (idx: number, t: number) => {
    waits[idx] = t - arrivals[idx]!;
    busy++;
    done.push(t + services[idx]!);
  };
  for (let m = 0; m <= minutes; m++) {
    const boundary = m * 60;
    // Everything before this boundary, in time order.
    for (;;) {
      const ta = next < arrivals.length && arrivals[next]! < boundary ? arrivals[next]! : Infinity;
      const tc = done.size && done.peek() < boundary ? done.peek() : Infinity;
      if (ta === Infinity && tc === Infinity) break;
      if (tc <= ta) {
        done.pop();
        busy--;
        if (busy < cap && head < queue.length) start(queue[head++]!, tc);
      } else {
        if (busy < cap && head === queue.length) start(next, ta);
        else queue.push(next);
        next++;
      }
    }
    if (m === minutes) break;
    cap = Math.max(0, Math.round(q.slots[m]!));
    while (busy < cap && head < queue.length) start(queue[head++]!, boundary);
  }
  // Runs still queued at the end wait until the trace ends (they are counted, as a lower bound).
  for (; head < queue.length; head++) waits[queue[head]!] = minutes * 60 - arrivals[queue[head]!]!;
  return waits;
}

class MinHeap {
  private a: number[] = [];
  get size() {
    return this.a.length;
  }
  peek(): number {
    return this.a[0]!;
  }
  push(v: number): void {
    const a = this.a;
    a.push(v);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]! <= v) break;
      a[i] = a[p]!;
      i = p;
    }
    a[i] = v;
  }
  pop(): number {
    const a = this.a;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= a.length) break;
        const r = l + 1;
        const c = r < a.length && a[r]! < a[l]! ? r : l;
        if (a[c]! >= last) break;
        a[i] = a[c]!;
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
}
