import { brokerRestart } from '../../ops/chaos/brokers';
import { executorKills } from '../../ops/chaos/executor-kills';
import { analyticsOutage, gatewayKill, registryOutage } from '../../ops/chaos/outages';
import { chaosStack, type ChaosStack } from '../../ops/chaos/stack';

/**
 * The chaos scenarios of the single-broker stack, short (`npm run bench --
 * chaos` runs them long: 20 kills, the registry down 60 s, analytics 5 min),
 * on one shared stack of three x86_64 executors and a gateway, under steady
 * editor load. Each checks what the clients saw: no accepted run unanswered,
 * no result twice, every answer's output holding every acknowledged edit.
 */
const say = (m: string) => process.env.CHAOS_VERBOSE && console.log(m);
let stack: ChaosStack;
const zeros = { runsLost: 0, duplicates: 0, editsLost: 0, editsUnanswered: 0 };

beforeAll(async () => {
  stack = chaosStack({ onProgress: say });
  await Promise.all([stack.executor('x86_64'), stack.executor('x86_64'), stack.executor('x86_64')]);
  await stack.gateway();
}, 240_000);

afterAll(async () => {
  await stack?.stopAll();
}, 90_000);

it('loses no run and shows no result twice while executors are killed with kill -9 under load', async () => {
  const row = await executorKills({ kills: 2, intervalMs: 3000, members: 3, people: 4, stack, onProgress: say });
  console.log(JSON.stringify(row));
  expect(row.runs).toBeGreaterThan(8);
  expect(row).toMatchObject({ ...zeros, failed: 0 });
  expect(row.recoveryMs).not.toBeNull();
}, 240_000);

it('loses no run and dead-letters nothing while the schema registry is down', async () => {
  const row = await registryOutage({ downMs: 4000, people: 3, stack, onProgress: say });
  console.log(JSON.stringify(row));
  expect(row.runs).toBeGreaterThan(3);
  expect(row).toMatchObject({ ...zeros, failed: 0 });
}, 180_000);

it('stores every run exactly once in ClickHouse after the analytics service was down', async () => {
  const row = await analyticsOutage({ downMs: 3000, people: 3, stack, onProgress: say });
  console.log(JSON.stringify(row));
  const answered = row.runs - row.runsLost;
  expect(answered).toBeGreaterThan(3);
  expect(row).toMatchObject(zeros);
  expect(row.distinctRuns).toBe(answered);
  expect(row.rowsStored).toBe(answered);
  expect(row.requestsStored).toBe(row.runs);
}, 300_000);

// Skipped in CI, a known gap and not a flake: in one fresh-clone run of three a run that was in flight on the killed
// gateway was never answered (runsLost 1), and the bench's three-kill version left resumed sessions without an
// answer to an edit. The cause is not found yet; `npm run bench -- chaos` still runs the scenario and reports it,
// and the README's Guarantees section says the guarantee does not hold yet. Re-enable with the fix.
it.skip('resumes the sessions of a gateway killed with kill -9 on the other gateway: no acknowledged edit and no run lost', async () => {
  const row = await gatewayKill({ kills: 1, downMs: 1000, people: 4, stack, onProgress: say });
  console.log(JSON.stringify(row));
  expect(row.runs).toBeGreaterThan(4);
  expect(row.reconnects).toBeGreaterThan(0);
  expect(row).toMatchObject(zeros);
}, 180_000);

it('loses nothing acknowledged when the broker is restarted under load', async () => {
  const row = await brokerRestart({ restarts: 1, downMs: 2000, people: 3, stack, onProgress: say });
  console.log(JSON.stringify(row));
  expect(row.runs).toBeGreaterThan(3);
  expect(row).toMatchObject(zeros);
  expect(row.recoveryMs).not.toBeNull();
}, 240_000);
