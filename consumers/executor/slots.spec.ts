import { createFifoQueue } from './scheduler/fifo-queue';
import type { QueuedRun, RunQueue } from './scheduler/types';
import { createSlots } from './slots';

const run = (runId: string): QueuedRun => ({ runId, clientId: 'c', language: 'python', dependencySet: 'python-3.11-std', enqueuedAtMs: 0 });
const flush = () => new Promise((r) => setImmediate(r));
const flatCost = { predict: () => ({ compileMs: 0, runMs: 100, totalMs: 100, basis: 'prior' as const, cacheHitExpected: false }) };
const createFifoRunQueue = () => createFifoQueue<QueuedRun>(flatCost);

describe('slots', () => {
  it('starts at most `concurrency` runs and gives a freed slot to the next waiting run', async () => {
    const slots = createSlots({ concurrency: 2, queue: createFifoRunQueue() });
    const started: string[] = [];
    for (const id of ['a', 'b', 'c', 'd']) void slots.acquire(run(id)).then(() => started.push(id));
    await flush();
    expect(started).toEqual(['a', 'b']);
    expect([slots.active, slots.queued]).toEqual([2, 2]);
    slots.release('a');
    await flush();
    expect(started).toEqual(['a', 'b', 'c']);
    slots.release('b');
    slots.release('c');
    await flush();
    expect(started).toEqual(['a', 'b', 'c', 'd']);
    expect([slots.active, slots.queued]).toEqual([1, 0]);
  });

  it('lets the queue it is given choose who runs next, and tells it when a run leaves its slot', async () => {
    const items: QueuedRun[] = [];
    const done: string[] = [];
    // Last in, first out: not what FIFO would do, so the order proves the queue decided.
    const lifo: RunQueue<QueuedRun> = { push: (x) => void items.push(x), take: () => items.pop(), remove: () => undefined, get size() { return items.length; }, done: (id) => void done.push(id) };
    const slots = createSlots({ concurrency: 1, queue: lifo, now: () => 42 });
    const started: string[] = [];
    for (const id of ['a', 'b', 'c']) void slots.acquire(run(id)).then(() => started.push(id));
    await flush();
    slots.release('a');
    await flush();
    slots.release('c');
    await flush();
    expect(started).toEqual(['a', 'c', 'b']);
    expect(done).toEqual(['a', 'c']);
  });
});
