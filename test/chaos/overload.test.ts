import { overload } from '../../ops/chaos/overload';

/**
 * The CI version of the bench's overload (10× for 60 s): 10× for 8 s against
 * two slots, with a local queue of 4, far below what the 3 s wait bound
 * admits (12 runs of 0.5 s over 2 slots), so most of what waits is in Kafka
 * behind the full queue, where admission sees it only through the
 * executor's reported backlog (without it every run was admitted and the
 * backlog grew with the load). The latency of admitted runs against its
 * objective is a figure of the bench (a timing, not asserted on a shared machine).
 */
it('keeps the queue and the backlog in Kafka bounded under 10× the sustainable rate: the excess gets 429 with Retry-After, every admitted run is answered', async () => {
  const row = await overload({ factor: 10, seconds: 8, slots: 2, runSeconds: 0.5, maxWaitMs: 3000, queue: 4, onProgress: (m) => process.env.CHAOS_VERBOSE && console.log(m) });
  console.log(JSON.stringify(row));
  expect(row.sent).toBe(320);
  expect(row.refused429).toBeGreaterThan(row.sent / 2);
  expect(row.refusedWithoutRetryAfter).toBe(0);
  expect(row.admitted).toBeGreaterThan(8);
  expect(row.otherStatuses).toEqual({});
  expect(row.runsLost).toBe(0);
  expect(row.failed).toBe(0);
  expect(row.maxQueueDepth).toBeLessThanOrEqual(row.queueBound);
  // The wait bound is in predicted run costs, and a burst between two reports is counted at the report's mean, so
  // what waits can pass the nominal bound a little; it does not grow with the load (without the backlog in the
  // admission it reached 180 of the 320 sent, and admitted runs waited up to 50 s).
  expect(row.maxBacklog).toBeLessThanOrEqual(2 * row.admittedWaitingBound);
}, 240_000);
