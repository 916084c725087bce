import { createConveyorQueue } from './scheduler/conveyor-queue';
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

  describe('the express lane', () => {
    // What the predictor has learned, by source hash; an unknown program gets the prior.
    const learned: Record<string, number> = { hello: 20, long: 3000 };
    const predictor = {
      predict: (k: { sourceHash?: string }) => {
        const ms = learned[k.sourceHash ?? ''];
        return ms === undefined
          ? { compileMs: 0, runMs: 100, totalMs: 100, basis: 'prior' as const, cacheHitExpected: false }
          : { compileMs: 0, runMs: ms, totalMs: ms, basis: 'source' as const, cacheHitExpected: false };
      },
    };
    const prog = (runId: string, sourceHash: string, at: number): QueuedRun => ({ ...run(runId), sourceHash, enqueuedAtMs: at });

    it('starts a run of learned short cost at once while every slot runs a long program, one express run at a time', async () => {
      const slots = createSlots({ concurrency: 1, queue: createConveyorQueue<QueuedRun>({ predictor }), now: () => 10, express: { slots: 1, maxCostMs: 100 } });
      const started: string[] = [];
      const go = (r: QueuedRun) => void slots.acquire(r).then(() => started.push(r.runId));
      go(prog('long1', 'long', 0));
      go(prog('long2', 'long', 1));
      go(prog('hello1', 'hello', 2));
      go(prog('hello2', 'hello', 3));
      go(prog('unknown', 'never-seen', 4));
      await flush();
      // long1 holds the slot; hello1 takes the express slot; hello2 waits for it; long2 and the unknown program wait.
      expect(started).toEqual(['long1', 'hello1']);
      expect([slots.active, slots.queued]).toEqual([2, 3]);
      slots.release('hello1');
      await flush();
      expect(started).toEqual(['long1', 'hello1', 'hello2']);
      slots.release('hello2');
      await flush();
      // Nothing short and learned is left: the express slot stays empty, the rest wait for the ordinary slot.
      expect(started).toEqual(['long1', 'hello1', 'hello2']);
      expect([slots.active, slots.queued]).toEqual([1, 2]);
      slots.release('long1');
      await flush();
      expect(started).toHaveLength(4);
      expect([slots.active, slots.queued]).toEqual([1, 1]);
    });

    it('is off for a queue without takeShort (FIFO) and when no express slots are configured', async () => {
      for (const [queue, lane] of [[createFifoQueue<QueuedRun>(predictor), { slots: 1, maxCostMs: 100 }], [createConveyorQueue<QueuedRun>({ predictor }), { slots: 0, maxCostMs: 100 }]] as const) {
        const slots = createSlots({ concurrency: 1, queue, express: lane });
        const started: string[] = [];
        for (const r of [prog('long', 'long', 0), prog('hello', 'hello', 1)]) void slots.acquire(r).then(() => started.push(r.runId));
        await flush();
        expect(started).toEqual(['long']);
      }
    });
  });
});
