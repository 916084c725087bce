import { overload } from '../../ops/chaos/overload';

/**
 * The CI version of the bench's overload (10× for 60 s): 10× for 8 s against
 * two slots. The latency of admitted runs against its objective is a figure
 * of the bench (a timing, not asserted on a shared machine).
 */
it('keeps the queue bounded under 10× the sustainable rate: the excess gets 429 with Retry-After, every admitted run is answered', async () => {
  const row = await overload({ factor: 10, seconds: 8, slots: 2, runSeconds: 0.5, maxWaitMs: 3000, onProgress: (m) => process.env.CHAOS_VERBOSE && console.log(m) });
  console.log(JSON.stringify(row));
  expect(row.sent).toBe(320);
  expect(row.refused429).toBeGreaterThan(row.sent / 2);
  expect(row.refusedWithoutRetryAfter).toBe(0);
  expect(row.admitted).toBeGreaterThan(8);
  expect(row.otherStatuses).toEqual({});
  expect(row.runsLost).toBe(0);
  expect(row.failed).toBe(0);
  expect(row.maxQueueDepth).toBeLessThanOrEqual(row.queueBound);
}, 240_000);
