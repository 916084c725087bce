import { analyticsOutage, gatewayKill, registryOutage } from '../../ops/chaos/outages';
import { chaosStack, type ChaosStack } from '../../ops/chaos/stack';

/**
 * Outages around the pipeline, short (the bench's registry outage lasts 60 s,
 * the analytics one 5 min), on one shared executor and gateway.
 */
const say = (m: string) => process.env.CHAOS_VERBOSE && console.log(m);
let stack: ChaosStack;

beforeAll(async () => {
  stack = chaosStack({ onProgress: say });
  await stack.executor('x86_64');
  await stack.gateway();
}, 180_000);

afterAll(async () => {
  await stack?.stopAll();
}, 60_000);

it('loses no run and dead-letters nothing while the schema registry is down', async () => {
  const row = await registryOutage({ downMs: 5000, people: 3, stack, onProgress: say });
  console.log(JSON.stringify(row));
  expect(row.runs).toBeGreaterThan(3);
  expect(row).toMatchObject({ runsLost: 0, duplicates: 0, editsLost: 0, failed: 0 });
}, 180_000);

it('stores every run exactly once in ClickHouse after the analytics service was down', async () => {
  const row = await analyticsOutage({ downMs: 5000, people: 3, stack, onProgress: say });
  console.log(JSON.stringify(row));
  const answered = row.runs - row.runsLost;
  expect(answered).toBeGreaterThan(3);
  expect(row).toMatchObject({ runsLost: 0, duplicates: 0, editsLost: 0 });
  expect(row.distinctRuns).toBe(answered);
  expect(row.rowsStored).toBe(answered);
  expect(row.requestsStored).toBe(row.runs);
}, 300_000);

it('resumes the sessions of a gateway killed with kill -9 on the other gateway: no acknowledged edit and no run lost', async () => {
  const row = await gatewayKill({ kills: 1, downMs: 2000, people: 4, stack, onProgress: say });
  console.log(JSON.stringify(row));
  expect(row.runs).toBeGreaterThan(4);
  expect(row).toMatchObject({ runsLost: 0, duplicates: 0, editsLost: 0 });
}, 180_000);
