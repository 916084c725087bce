import type { ExecutorLoad } from '../../topics/types';
import { ApiError } from './errors';
import { createAdmissionView, takeReports } from './admission';

const load = (over: Partial<ExecutorLoad>): ExecutorLoad => ({
  executorId: 'e1', hardwareClass: 'x86_64', scheduler: 'conveyor', timestampMs: 1000, concurrency: 1, capacity: 64,
  partitions: [0, 1, 2], running: 1, queued: 0, queuedWorkMs: 0, drainMs: 0, backlog: 0, backlogAtMs: 0, queue: [], ...over,
});

describe('admission', () => {
  it('expects the wait the owning executor reports, counted down since its report', () => {
    const v = createAdmissionView({ maxWaitMs: 60000, staleMs: 5000 });
    v.observe(load({ queued: 10, queuedWorkMs: 30000, drainMs: 32000 }), 1000);
    expect(v.expectedWaitMs('x86_64', 1, 2000)).toBe(31000);
    // Another partition, another class: nothing known, nothing to wait for.
    expect(v.expectedWaitMs('x86_64', 7, 2000)).toBe(0);
    expect(v.expectedWaitMs('arm64', 1, 2000)).toBe(0);
  });

  it('refuses beyond the bound with a Retry-After of when the wait is back under it', () => {
    const v = createAdmissionView({ maxWaitMs: 10000, staleMs: 5000 });
    v.observe(load({ queued: 10, queuedWorkMs: 30000, drainMs: 30000 }), 1000);
    let refused: ApiError | undefined;
    try {
      v.admit('x86_64', 0, 1000);
    } catch (err) {
      refused = err as ApiError;
    }
    expect(refused).toMatchObject({ status: 429, code: 'queue_full', retryAfterS: 20 });
    expect(refused!.message).toMatch(/about 30 s/);
    expect(v.admit('x86_64', 0, 21000)).toBeLessThanOrEqual(10000);
  });

  it('counts the runs it sent since the last report, so a burst cannot slip past the bound between reports', () => {
    const v = createAdmissionView({ maxWaitMs: 5000, staleMs: 5000 });
    v.observe(load({ queued: 2, queuedWorkMs: 2000, drainMs: 2000 }), 1000);
    const admitted: number[] = [];
    for (let i = 0; i < 10; i++) {
      try {
        admitted.push(v.admit('x86_64', 0, 1000));
      } catch {
        break;
      }
    }
    expect(admitted).toEqual([2000, 3000, 4000, 5000]);
    // The next report shows them: the count starts again from it.
    v.observe(load({ timestampMs: 1100, queued: 6, queuedWorkMs: 6000, drainMs: 6000 }), 1100);
    expect(v.expectedWaitMs('x86_64', 0, 1100)).toBe(6000);
  });

  it('counts the requests waiting in Kafka behind a full executor queue, at the queue\'s mean predicted cost over its slots', () => {
    const v = createAdmissionView({ maxWaitMs: 20000, staleMs: 5000 });
    v.observe(load({ concurrency: 2, queued: 64, queuedWorkMs: 32000, drainMs: 16000, backlog: 40 }), 1000);
    // 16 s for the fetched queue, and 40 × 500 ms over 2 slots for the backlog.
    expect(v.expectedWaitMs('x86_64', 0, 1000)).toBe(26000);
    expect(() => v.admit('x86_64', 0, 1000)).toThrow(ApiError);
    // Without the backlog the same report would admit it (the gap the overload chaos scenario showed).
    v.observe(load({ timestampMs: 1001, concurrency: 2, queued: 64, queuedWorkMs: 32000, drainMs: 16000, backlog: 0 }), 1001);
    expect(v.admit('x86_64', 0, 1001)).toBe(16000);
  });

  it('goes on counting the runs it sent after the end offsets behind a report\'s backlog were read', () => {
    const v = createAdmissionView({ maxWaitMs: 60000, staleMs: 5000 });
    v.observe(load({ timestampMs: 1000, queued: 4, capacity: 4, queuedWorkMs: 2000, drainMs: 2000, backlog: 10, backlogAtMs: 1000 }), 1000);
    v.admit('x86_64', 0, 1200);
    v.admit('x86_64', 0, 1300);
    // The next report's queue is as full, its backlog still from the end offsets read at 1000: both runs still count.
    v.observe(load({ timestampMs: 1400, queued: 4, capacity: 4, queuedWorkMs: 2000, drainMs: 2000, backlog: 10, backlogAtMs: 1000 }), 1400);
    expect(v.expectedWaitMs('x86_64', 0, 1400)).toBe(2000 + 12 * 500);
    // Read again at 1500: they are in it now.
    v.observe(load({ timestampMs: 1600, queued: 4, capacity: 4, queuedWorkMs: 2000, drainMs: 2000, backlog: 12, backlogAtMs: 1500 }), 1600);
    expect(v.expectedWaitMs('x86_64', 0, 1600)).toBe(2000 + 12 * 500);
  });

  it('ignores a stale report (its executor may be gone)', () => {
    const v = createAdmissionView({ maxWaitMs: 1000, staleMs: 5000 });
    v.observe(load({ drainMs: 60000 }), 1000);
    expect(v.expectedWaitMs('x86_64', 0, 7000)).toBe(0);
  });

  it('hands one fetch\'s reports to the view in order and only each executor\'s newest to onLoad, skipping one it cannot decode', async () => {
    const v = createAdmissionView({ maxWaitMs: 60000, staleMs: 5000 });
    const reports = [
      load({ timestampMs: 1000, drainMs: 9000, queue: [{ runId: 'a', position: 2, expectedStartMs: 0, predictedMs: 1 }] }),
      load({ executorId: 'e2', partitions: [5], timestampMs: 1010, drainMs: 4000 }),
      load({ timestampMs: 1050, drainMs: 8000, queue: [{ runId: 'a', position: 1, expectedStartMs: 0, predictedMs: 1 }] }),
    ];
    const told: ExecutorLoad[] = [];
    const warned: object[] = [];
    const values = [...reports.map((r) => Buffer.from(JSON.stringify(r))), null];
    await takeReports(values, {
      decode: async (b) => (b ? { ok: true, value: JSON.parse(b.toString()) as ExecutorLoad } : { ok: false, reason: 'no value', transient: false }),
      view: v, onLoad: (l) => told.push(l), now: () => 1100, warn: (o) => warned.push(o),
    });
    expect(told.map((l) => [l.executorId, l.timestampMs])).toEqual([['e1', 1050], ['e2', 1010]]);
    expect(v.expectedWaitMs('x86_64', 1, 1100)).toBe(7950);
    expect(v.expectedWaitMs('x86_64', 5, 1100)).toBe(3910);
    expect(warned).toHaveLength(1);
  });
});
