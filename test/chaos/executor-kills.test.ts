import { executorKills } from '../../ops/chaos/executor-kills';

/**
 * The CI version of the bench's executor chaos (20 kills there): two kills
 * of three x86_64 members under steady editor load.
 */
it('loses no run and shows no result twice while executors are killed with kill -9 under load', async () => {
  const row = await executorKills({ kills: 2, intervalMs: 5000, members: 3, people: 4, onProgress: (m) => process.env.CHAOS_VERBOSE && console.log(m) });
  expect(row.runs).toBeGreaterThan(8);
  expect(row.runsLost).toBe(0);
  expect(row.duplicates).toBe(0);
  expect(row.editsLost).toBe(0);
  expect(row.failed).toBe(0);
  expect(row.recoveryMs).not.toBeNull();
  console.log(JSON.stringify(row));
}, 240_000);
