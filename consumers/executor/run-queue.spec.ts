import { createFifoRunQueue, type QueuedRun } from './run-queue';

const run = (runId: string): QueuedRun => ({ runId, clientId: 'c', language: 'python', dependencySet: 'python-3.11-std', enqueuedAtMs: 0 });

describe('FIFO run queue', () => {
  it('gives runs out in the order they came, and takes one out by id', () => {
    const q = createFifoRunQueue();
    for (const id of ['a', 'b', 'c']) q.push(run(id));
    expect(q.size).toBe(3);
    expect(q.remove('b')?.runId).toBe('b');
    expect(q.remove('missing')).toBeUndefined();
    expect([q.take(0)?.runId, q.take(0)?.runId, q.take(0)]).toEqual(['a', 'c', undefined]);
    expect(q.size).toBe(0);
  });
});
