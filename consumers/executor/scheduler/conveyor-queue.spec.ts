import { createConveyorQueue } from './conveyor-queue';
import { createFifoQueue } from './fifo-queue';
import type { QueuedRun } from './types';

/** Costs by source hash: the test decides what the predictor knows. */
const fixed = (costs: Record<string, number>) => ({
  predict: (k: { sourceHash?: string }) => {
    const totalMs = costs[k.sourceHash ?? ''] ?? 100;
    return { compileMs: 0, runMs: totalMs, totalMs, basis: 'source' as const, cacheHitExpected: false };
  },
});
const costs = { hello: 10, long: 3000, mid: 100, sec: 1000 };
let n = 0;
const run = (clientId: string, sourceHash: string, enqueuedAtMs: number, dependencySet = 'python-3.11-std'): QueuedRun => ({
  runId: `r${n++}-${clientId}-${sourceHash}`, clientId, language: 'python', dependencySet, enqueuedAtMs, sourceHash,
});

describe('Conveyor run scheduler', () => {
  it('lets a short run overtake long runs queued before it', () => {
    const q = createConveyorQueue({ predictor: fixed(costs) });
    for (let i = 0; i < 10; i++) q.push(run(`c${i}`, 'long', i));
    const hello = run('me', 'hello', 20);
    q.push(hello);
    expect(q.take(21)?.runId).toBe(hello.runId);
    expect(q.size).toBe(10);
  });

  it('lets a long run through by its bound while short runs keep arriving', () => {
    const slack = 2;
    const q = createConveyorQueue({ predictor: fixed(costs), slack });
    const long = run('a', 'sec', 0);
    q.push(long);
    // One slot, kept busy: a new 10 ms run from another client every 10 ms. Shortest-first alone would starve the long run.
    let startedLongAt: number | undefined;
    let overtaken = 0;
    for (let t = 0; t < 5000 && startedLongAt === undefined; t += 10) {
      q.push(run(`b${t}`, 'hello', t));
      const next = q.take(t + 10)!;
      if (next.runId === long.runId) startedLongAt = t + 10;
      else (overtaken++, q.done!(next.runId, t + 10));
    }
    expect(overtaken).toBeGreaterThan(150);
    // Waited at most its slack times its own cost (plus one short run's slot).
    expect(startedLongAt).toBeLessThanOrEqual(slack * 1000 + 20);
  });

  it('gives a flooding client its share of the slots only', () => {
    const q = createConveyorQueue({ predictor: fixed(costs) });
    for (let i = 0; i < 40; i++) q.push(run('flood', 'mid', 0));
    for (const c of ['a', 'b', 'c', 'd']) for (let i = 0; i < 2; i++) q.push(run(c, 'mid', 1));
    const firstFive = Array.from({ length: 5 }, () => q.take(2)!.clientId).sort();
    expect(firstFive).toEqual(['a', 'b', 'c', 'd', 'flood']);
    const nextFive = Array.from({ length: 5 }, () => q.take(2)!.clientId).sort();
    expect(nextFive).toEqual(['a', 'b', 'c', 'd', 'flood']);
    // Nobody else waits: the flooder gets every slot (no core is left idle).
    expect(Array.from({ length: 5 }, () => q.take(3)!.clientId)).toEqual(Array(5).fill('flood'));
  });

  it('counts what a client already has running against its share', () => {
    const q = createConveyorQueue({ predictor: fixed(costs) });
    q.push(run('flood', 'mid', 0));
    q.push(run('flood', 'mid', 0));
    expect(q.take(0)!.clientId).toBe('flood');
    q.push(run('other', 'mid', 1));
    expect(q.take(1)!.clientId).toBe('other');
  });

  it('among runs of equal priority, prefers the dependency set with warm runtimes', () => {
    const warmSets = new Set(['python-3.11-sci']);
    const q = createConveyorQueue({ predictor: fixed(costs), isWarm: (s) => warmSets.has(s) });
    const std = run('a', 'mid', 0, 'python-3.11-std');
    const sci = run('b', 'mid', 1, 'python-3.11-sci');
    q.push(std);
    q.push(sci);
    expect(q.take(2)?.runId).toBe(sci.runId);
    // Not when the cold run is clearly more urgent.
    const urgent = run('c', 'hello', 3, 'python-3.11-std');
    const warmLong = run('d', 'sec', 0, 'python-3.11-sci');
    q.push(urgent);
    q.push(warmLong);
    expect(q.take(4)?.runId).toBe(urgent.runId);
  });

  it('by default counts the dependency set started last as warm', () => {
    const q = createConveyorQueue({ predictor: fixed(costs) });
    q.push(run('a', 'mid', 0, 'go'));
    q.take(0);
    q.push(run('b', 'mid', 5, 'rust'));
    q.push(run('c', 'mid', 6, 'go'));
    expect(q.take(6)?.dependencySet).toBe('go');
  });

  it('removes a queued run (a cancel) and never returns it', () => {
    const q = createConveyorQueue({ predictor: fixed(costs) });
    const a = run('a', 'hello', 0);
    q.push(a);
    q.push(run('b', 'long', 0));
    expect(q.remove(a.runId)?.runId).toBe(a.runId);
    expect(q.remove(a.runId)).toBeUndefined();
    expect(q.size).toBe(1);
    expect(q.take(1)?.sourceHash).toBe('long');
    expect(q.take(1)).toBeUndefined();
  });

  it('reports positions and expected starts in the order it would start them', () => {
    const q = createConveyorQueue({ predictor: fixed(costs) });
    q.push(run('a', 'long', 0));
    q.take(0);
    q.push(run('b', 'long', 10));
    q.push(run('c', 'long', 11));
    q.push(run('d', 'hello', 12));
    const plan = q.plan(100, 1);
    expect(plan.map((p) => [p.position, p.predictedMs])).toEqual([[1, 10], [2, 3000], [3, 3000]]);
    // One slot, busy for the rest of the running long run (3000 - 100 ms).
    expect(plan.map((p) => p.expectedStartMs)).toEqual([3000, 3010, 6010]);
  });
});

describe('FIFO run queue (the baseline)', () => {
  it('starts runs in arrival order whatever their cost', () => {
    const q = createFifoQueue(fixed(costs));
    const order = [run('a', 'long', 0), run('b', 'long', 1), run('c', 'hello', 2)];
    for (const r of order) q.push(r);
    expect([q.take(3), q.take(3), q.take(3)].map((r) => r?.runId)).toEqual(order.map((r) => r.runId));
    expect(q.plan(3, 2)).toEqual([]);
  });

  it('takes a run out by id and counts what waits', () => {
    const q = createFifoQueue(fixed(costs));
    const order = [run('a', 'hello', 0), run('b', 'hello', 1), run('c', 'hello', 2)];
    for (const r of order) q.push(r);
    expect(q.size).toBe(3);
    expect(q.remove(order[1]!.runId)?.runId).toBe(order[1]!.runId);
    expect(q.remove('missing')).toBeUndefined();
    expect([q.take(3)?.runId, q.take(3)?.runId, q.take(3)]).toEqual([order[0]!.runId, order[2]!.runId, undefined]);
    expect(q.size).toBe(0);
  });
});
