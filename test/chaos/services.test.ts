import { randomUUID } from 'node:crypto';
import { brokerRestart } from '../../ops/chaos/brokers';
import { executorKills } from '../../ops/chaos/executor-kills';
import { analyticsOutage, gatewayKill, registryOutage } from '../../ops/chaos/outages';
import { CHAOS_GATEWAY_PORT, chaosStack, type ChaosStack } from '../../ops/chaos/stack';
import { waitFor } from '../../ops/chaos/under-load';
import { EditorClient } from '../../producers/client/editor-client';
import { commitUncommittedEnds } from '../../topics/admin';
import { CONSUMER_FETCH_LIMITS, topics } from '../../topics/catalog';
import { sleep } from '../../topics/ground/retry';
import { realInfra } from '../support/infra';

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
  // Two gateways (the second for the gateway cases) and three executors, all starting at once.
  await Promise.all([stack.executor('x86_64'), stack.executor('x86_64'), stack.executor('x86_64'), stack.gateway(), stack.gateway(CHAOS_GATEWAY_PORT + 1)]);
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

it('answers a run asked for again on the other gateway when it finished while the gateway waiting for it was dead', async () => {
  // Sees every result published from now on, so the run is known to be finished before it is asked for again.
  const { kafka } = realInfra('chaos-results-watch');
  const groupId = `chaos-results-watch-${randomUUID()}`;
  const admin = kafka.admin();
  await admin.connect();
  await commitUncommittedEnds(admin, groupId, [topics.results.name]).finally(() => admin.disconnect());
  const published = new Map<string, number>();
  const watch = kafka.consumer({ ...CONSUMER_FETCH_LIMITS, groupId, maxWaitTimeInMs: 100 });
  await watch.connect();
  await watch.subscribe({ topic: topics.results.name, fromBeginning: false });
  const fetching = new Promise<void>((r) => watch.on(watch.events.FETCH_START, () => r()));
  await watch.run({ eachMessage: async ({ message }) => void published.set(String(message.key), (published.get(String(message.key)) ?? 0) + 1) });
  await fetching;
  try {
    const text = 'import time\ntime.sleep(2)\nprint("once")\n';
    const first = await EditorClient.connect(`${stack.url().replace(/^http/, 'ws')}/ws/editor`);
    const opened = await first.open('python', text);
    expect(opened.type).toBe('opened');
    const runId = `chaos-again-${randomUUID()}`;
    first.send({ type: 'run', runId, version: opened.version });
    await first.next((m) => m.type === 'run_accepted' && m.runId === runId, 60_000);
    // The gateway waiting for the run dies while it sleeps; its result is published to nobody.
    await stack.kill(stack.running.find((s) => s.name === `chaos-gateway-${CHAOS_GATEWAY_PORT}`)!);
    await waitFor(() => published.has(runId), 60_000, `result of ${runId} on ${topics.results.name}`);
    const again = await EditorClient.connect(`${stack.url(CHAOS_GATEWAY_PORT + 1).replace(/^http/, 'ws')}/ws/editor`);
    again.send({ type: 'resume', sessionId: opened.sessionId, version: opened.version, files: [{ name: 'main.py', content: text }] });
    expect((await again.next((m) => m.type === 'opened' || m.type === 'error', 60_000)).type).toBe('opened');
    again.send({ type: 'run', runId, version: opened.version });
    const result = await again.next((m) => (m.type === 'result' && m.runId === runId) || m.type === 'error', 60_000);
    expect(result).toMatchObject({ type: 'result', runId, result: { status: 'ok', run: { stdout: 'once\n' } } });
    // Answered once, and executed once: the executor repeated its result instead of running it again.
    await sleep(1000);
    expect(again.messages.filter((m) => m.type === 'result')).toHaveLength(1);
    expect(published.get(runId)).toBe(2);
    first.close();
    again.close();
  } finally {
    await watch.disconnect();
    // The second gateway stays for the gateway-kill scenario.
    await stack.gateway();
  }
}, 240_000);

it('rebuilds a session it holds behind the version its client resumes with (the client went to another gateway and came back)', async () => {
  const ws = (port: number) => `${stack.url(port).replace(/^http/, 'ws')}/ws/editor`;
  const first = await EditorClient.connect(ws(CHAOS_GATEWAY_PORT));
  const opened = await first.open('python', 'print(1)\n');
  expect((await first.run({}, 60_000)).result).toMatchObject({ result: { status: 'ok' } });
  first.close();
  // On the other gateway (rebuilt there from the snapshot once the executor wrote it), the text moves on.
  const other = await EditorClient.connect(ws(CHAOS_GATEWAY_PORT + 1));
  let resumed: Awaited<ReturnType<EditorClient['next']>> | undefined;
  await waitFor(async () => {
    const mark = other.messages.length;
    other.send({ type: 'resume', sessionId: opened.sessionId, version: opened.version });
    resumed = await other.next((m) => m.type === 'opened' || m.type === 'error', 60_000, mark);
    return resumed.type === 'opened';
  }, 60_000, 'the session on the other gateway');
  const mark = other.messages.length;
  other.send({ type: 'set', files: [{ name: 'main.py', content: 'print(2)\n' }] });
  const ack = await other.next((m) => m.type === 'ack' || m.type === 'error', 60_000, mark);
  expect(ack.type).toBe('ack');
  other.close();
  // Back on the first gateway, which still holds version 1: it must not answer with its old text.
  const back = await EditorClient.connect(ws(CHAOS_GATEWAY_PORT));
  back.send({ type: 'resume', sessionId: opened.sessionId, version: ack.version });
  const again = await back.next((m) => m.type === 'opened' || m.type === 'error', 60_000);
  expect(back.messages.filter((m) => m.type === 'resync')).toEqual([]);
  expect(again).toMatchObject({ type: 'opened', version: ack.version, files: [{ name: 'main.py', content: 'print(2)\n' }] });
  expect((await back.run({}, 60_000)).result).toMatchObject({ result: { status: 'ok', run: { stdout: '2\n' } } });
  back.close();
}, 180_000);

// Three kills, alternating between the two gateways: every person resumes on a gateway that does not hold the
// session (killed and restarted since), rebuilt from its snapshot and the edits after it, with a run in flight.
it('resumes the sessions of a gateway killed with kill -9 on the other gateway: no acknowledged edit and no run lost', async () => {
  const row = await gatewayKill({ kills: 3, downMs: 1000, people: 6, stack, onProgress: say });
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
