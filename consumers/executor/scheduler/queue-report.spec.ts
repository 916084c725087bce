import { createConveyorQueue } from './conveyor-queue';
import { buildLoad, createQueueReporter } from './queue-report';
import type { ExecutorLoad } from '../../../topics/types';

const predictor = { predict: (k: { sourceHash?: string }) => {
  const totalMs = k.sourceHash === 'long' ? 3000 : 10;
  return { compileMs: 0, runMs: totalMs, totalMs, basis: 'source' as const, cacheHitExpected: false };
} };
const ctx = { executorId: 'e1', hardwareClass: 'x86_64', scheduler: 'conveyor', concurrency: 1, capacity: 64, partitions: [0, 1], backlog: 0, backlogAtMs: 0 };

describe('queue report', () => {
  it('says when a run queued behind everything would start, from the running run and the queued predictions', () => {
    const q = createConveyorQueue({ predictor });
    const r = (runId: string, sourceHash: string) => ({ runId, clientId: runId, language: 'python', dependencySet: 'std', enqueuedAtMs: 0, sourceHash });
    q.push(r('a', 'long'));
    q.take(0);
    for (let i = 0; i < 3; i++) q.push(r(`b${i}`, 'long'));
    q.push(r('hello', 'hello'));
    const load = buildLoad(q, { ...ctx, running: 1 }, 1000);
    expect(load).toMatchObject({ queued: 4, running: 1, queuedWorkMs: 9010, drainMs: 2000 + 9010 });
    expect(load.queue.map((p) => [p.runId, p.position, p.expectedStartMs])).toEqual([['hello', 1, 3000], ['b0', 2, 3010], ['b1', 3, 6010], ['b2', 4, 9010]]);
  });

  it('reports no wait for an idle executor', () => {
    const q = createConveyorQueue({ predictor });
    expect(buildLoad(q, { ...ctx, running: 0 }, 5)).toMatchObject({ queued: 0, drainMs: 0, queue: [] });
  });
});

describe('queue reporter', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('reports the first poke at once and the pokes within the next 50 ms as one report after it', async () => {
    const sent: number[] = [];
    let n = 0;
    // Each snapshot differs (a run moved), as under load.
    const snapshot = (now: number) => ({ running: ++n, backlog: 0, queue: [], timestampMs: now }) as unknown as ExecutorLoad;
    const r = createQueueReporter({ send: async (l) => void sent.push(l.running), snapshot, intervalMs: 60000, heartbeatMs: 60000, minGapMs: 50, onError: (e) => { throw e; } });
    r.poke();
    await jest.advanceTimersByTimeAsync(0);
    expect(sent).toEqual([1]);
    for (let i = 0; i < 5; i++) {
      r.poke();
      await jest.advanceTimersByTimeAsync(5);
    }
    expect(sent).toEqual([1]);
    await jest.advanceTimersByTimeAsync(30);
    expect(sent).toEqual([1, 2]);
    await jest.advanceTimersByTimeAsync(200);
    expect(sent).toEqual([1, 2]);
    await r.stop();
  });

  it('sends a poke that came while a report was on the wire once that report is acknowledged', async () => {
    const sent: number[] = [];
    let ack: () => void = () => undefined;
    let n = 0;
    const snapshot = (now: number) => ({ running: ++n, backlog: 0, queue: [], timestampMs: now }) as unknown as ExecutorLoad;
    const r = createQueueReporter({ send: (l) => { sent.push(l.running); return new Promise<void>((res) => (ack = res)); }, snapshot, intervalMs: 60000, heartbeatMs: 60000, minGapMs: 50, onError: (e) => { throw e; } });
    r.poke();
    await jest.advanceTimersByTimeAsync(0);
    r.poke();
    await jest.advanceTimersByTimeAsync(100);
    expect(sent).toEqual([1]);
    ack();
    await jest.advanceTimersByTimeAsync(0);
    expect(sent).toEqual([1, 2]);
    ack();
    await r.stop();
  });
});
