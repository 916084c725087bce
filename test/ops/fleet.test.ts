import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Consumer } from 'kafkajs';
import { EditorClient } from '../../producers/client/editor-client';
import { kedaDocument } from '../../ops/fleet/kubernetes-actuator';
import { startFleetService, type FleetService } from '../../ops/fleet/service';
import { fleetSettings } from '../../ops/fleet/settings';
import { CONSUMER_FETCH_LIMITS, topics } from '../../topics/catalog';
import { decodeValue } from '../../topics/codec';
import { operatorToken } from '../../topics/ground/operator-token';
import type { RunResultRecord } from '../../topics/types';
import { realInfra } from '../support/infra';
import { startGateway, stopService, testEnv, wsUrl } from '../support/stack';

/**
 * The fleet manager with the local actuator, on the real broker, registry and
 * sandbox: real executor processes, killed, scaled and drained while runs are
 * in flight. Every result that reaches runs.results is counted per run.
 */
const { kafka, registry } = realInfra('conveyor-fleet-test');
const token = operatorToken({ configured: `fleet-test-${randomUUID()}`, stateDir: os.tmpdir() });
const logDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-test-')), 'services');
const executorEnv = { ...testEnv, CONVEYOR_RUNTIMES_POOL_SIZE: '1', EXECUTOR_CONCURRENCY: '2' };
const services: FleetService[] = [];
const watchers: Consumer[] = [];
let gateway: Awaited<ReturnType<typeof startGateway>>;

function settings(port: number, extra: Record<string, string> = {}) {
  return fleetSettings({ ...process.env, FLEET_PORT: String(port), FLEET_CORES: '4', FLEET_RESTART_BACKOFF_MS: '300', FLEET_START_TIMEOUT_MS: '90000', FLEET_DRAIN_TIMEOUT_MS: '60000', ...extra });
}

async function fleet(port: number, extra: Record<string, string>, env: NodeJS.ProcessEnv = executorEnv) {
  const svc = await startFleetService({ kafka, registry, settings: settings(port, extra), token, logDir, executorEnv: env });
  services.push(svc);
  return svc;
}

/** Every result published on runs.results from now on, per run id. */
async function watchResults() {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topics.results.name);
  await admin.disconnect();
  const consumer: Consumer = kafka.consumer({ ...CONSUMER_FETCH_LIMITS, groupId: `fleet-test-${randomUUID()}`, maxWaitTimeInMs: 100 });
  watchers.push(consumer);
  const seen = new Map<string, RunResultRecord[]>();
  await consumer.connect();
  await consumer.subscribe({ topic: topics.results.name, fromBeginning: false });
  const joined = new Promise<void>((r) => consumer.on(consumer.events.GROUP_JOIN, () => r()));
  await consumer.run({
    eachMessage: async ({ message }) => {
      const d = await decodeValue(registry, message.value, topics.results);
      if (d.ok) seen.set(d.value.runId, [...(seen.get(d.value.runId) ?? []), d.value]);
    },
  });
  await joined;
  for (const p of ends) consumer.seek({ topic: topics.results.name, partition: p.partition, offset: p.offset });
  return { seen, stop: () => consumer.disconnect() };
}

const until = async (what: string, ok: () => boolean, ms = 90000) => {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

const SLOW = 'import time\nprint("started", flush=True)\ntime.sleep(2)\nprint("done", flush=True)\n';

beforeAll(async () => {
  gateway = await startGateway();
}, 120000);

afterAll(async () => {
  for (const w of watchers) await w.disconnect().catch(() => {});
  for (const s of services.reverse()) await s.stop();
  await stopService(gateway, 5000);
}, 180000);

describe('fleet manager (local actuator, real executors)', () => {
  let svc: FleetService;

  it('refuses operator requests without the token, and serves the KEDA document and gauges openly', async () => {
    svc = await fleet(18095, { FLEET_DESIRED: 'x86_64=1' });
    await svc.converged(120000);
    const none = await fetch(`${svc.url}/api/ops/fleet`);
    expect(none.status).toBe(401);
    expect((await none.json()).error.code).toBe('operator_token_required');
    const wrong = await fetch(`${svc.url}/api/ops/fleet/classes/x86_64/scale`, { method: 'POST', headers: { authorization: 'Bearer wrong-token-wrong-token', 'content-type': 'application/json' }, body: '{"desired":5}' });
    expect(wrong.status).toBe(403);
    expect((await wrong.json()).error.code).toBe('operator_token_invalid');
    expect(svc.control.list().classes[0]!.desired).toBe(1);
    const ok = await fetch(`${svc.url}/api/ops/fleet`, { headers: { authorization: `Bearer ${token.reveal()}` } });
    expect(ok.status).toBe(200);
    expect((await ok.json()).classes[0]).toMatchObject({ hardwareClass: 'x86_64', desired: 1, ready: 1 });

    const keda = await (await fetch(`${svc.url}/keda/desired`)).json();
    expect(keda).toMatchObject({ actuator: 'local', x86_64: { desiredExecutors: 1, readyExecutors: 1, minExecutors: 0, maxExecutors: 4 } });
    expect(Object.keys(keda).sort()).toEqual(['actuator', 'generatedAtMs', 'x86_64']);
    expect(keda).toEqual({ ...kedaDocument(svc.control.list(), keda.generatedAtMs) });
    const metrics = await (await fetch(`${svc.url}/metrics`)).text();
    expect(metrics).toMatch(/conveyor_fleet_desired_executors\{hardware_class="x86_64"\} 1/);
    expect(metrics).toMatch(/conveyor_fleet_members\{hardware_class="x86_64",state="ready"\} 1/);
  }, 180000);

  it('replaces an executor killed with kill -9 mid-run, and the run in flight gets exactly one result', async () => {
    const results = await watchResults();
    const [member] = svc.control.list().classes[0]!.members.filter((m) => m.state === 'ready');
    const c = await EditorClient.connect(wsUrl);
    await c.open('python', SLOW);
    const mark = c.messages.length;
    c.send({ type: 'run' });
    const accepted = await c.next((m) => m.type === 'run_accepted', 30000, mark);
    await c.next((m) => m.type === 'output' && m.runId === accepted.runId && String(m.data).includes('started'), 60000, mark);
    process.kill(member!.pid!, 'SIGKILL');

    const result = await c.next((m) => m.type === 'result' && m.runId === accepted.runId, 120000, mark);
    expect(result.result).toMatchObject({ status: 'ok', run: { stdout: 'started\ndone\n' } });
    const view = svc.control.list().classes[0]!;
    expect(view.members.find((m) => m.memberId === member!.memberId)).toMatchObject({ state: 'failed', reason: expect.stringMatching(/killed by SIGKILL unexpectedly/) });
    const started = svc.control.history({ limit: 500 }).find((e) => e.state === 'starting' && e.reason === `replaces ${member!.memberId}, which was killed by SIGKILL`);
    const replacement = view.members.find((m) => m.memberId === started?.memberId);
    expect(replacement?.state).toBe('ready');
    await new Promise((r) => setTimeout(r, 2500));
    expect(results.seen.get(String(accepted.runId))).toHaveLength(1);
    expect(results.seen.get(String(accepted.runId))![0]!.executorId).toBe(replacement!.memberId);
    await results.stop();
    c.close();
  }, 180000);

  it('fleet scale x86_64 3 then 1 with runs in flight: every run has exactly one result and the drained members stop cleanly', async () => {
    const results = await watchResults();
    const clients = await Promise.all(Array.from({ length: 6 }, () => EditorClient.connect(wsUrl)));
    for (const c of clients) await c.open('python', SLOW);
    const [first] = svc.control.list().classes[0]!.members.filter((m) => m.state === 'ready');
    type Accepted = { c: EditorClient; mark: number; runId: string; acceptedAtMs: number };
    const runs: Accepted[] = [];
    const run = async (c: EditorClient): Promise<Accepted> => {
      const mark = c.messages.length;
      c.send({ type: 'run' });
      const a = await c.next((m) => m.type === 'run_accepted', 30000, mark);
      const accepted = { c, mark, runId: String(a.runId), acceptedAtMs: Date.now() };
      runs.push(accepted);
      return accepted;
    };
    const resultOf = (a: Accepted) => a.c.next((m) => m.type === 'result' && m.runId === a.runId, 150000, a.mark);
    // Every client keeps a run going (2 run, 4 queue on the one member) until the new members are ready:
    // the scale-out rebalance moves partitions away from the first member while it holds their runs.
    let scaledOut = false;
    const loops = clients.map(async (c) => {
      while (!scaledOut) expect((await resultOf(await run(c))).result).toMatchObject({ status: 'ok', run: { stdout: 'started\ndone\n' } });
    });
    await until('runs queued on the first member', () => runs.length === clients.length, 30000);
    const scaleOut = await fetch(`${svc.url}/api/ops/fleet/classes/x86_64/scale`, { method: 'POST', headers: { authorization: `Bearer ${token.reveal()}`, 'content-type': 'application/json' }, body: JSON.stringify({ desired: 3, reason: 'test: scale out' }) });
    expect(scaleOut.status).toBe(200);
    let secondReadyAtMs = 0;
    await until('3 ready members', () => {
      const ready = svc.control.list().classes[0]!.ready;
      if (ready >= 2 && !secondReadyAtMs) secondReadyAtMs = Date.now();
      return ready === 3;
    }, 150000);
    scaledOut = true;
    await Promise.all(loops);
    // Runs taken by the first member well before any other member was ready, answered by another: their partition moved.
    const movedWhileHeld = runs.filter((a) => a.acceptedAtMs < secondReadyAtMs - 1000 && results.seen.get(a.runId)?.[0]?.executorId !== first!.memberId);
    expect(movedWhileHeld.length).toBeGreaterThan(0);

    const second = await Promise.all(clients.map(run));
    await until('runs in flight on the members', () => svc.control.list().classes[0]!.members.some((m) => (m.runsInFlight ?? 0) > 0), 30000);
    await svc.control.setDesired('x86_64', 1, 'test: scale in with runs in flight');
    for (const a of second) expect((await resultOf(a)).result).toMatchObject({ status: 'ok', run: { stdout: 'started\ndone\n' } });
    await until('the drained members to stop', () => svc.control.list().classes[0]!.members.filter((m) => m.state === 'draining').length === 0, 90000);
    const view = svc.control.list().classes[0]!;
    expect(view).toMatchObject({ desired: 1, actual: 1 });
    const drained = svc.control.history({ limit: 500 }).filter((e) => e.state === 'draining' && e.reason.startsWith('scale-in')).map((e) => e.memberId);
    expect(drained).toHaveLength(2);
    for (const id of drained) expect(view.members.find((m) => m.memberId === id)).toMatchObject({ state: 'stopped', reason: expect.stringMatching(/^(drained: finished its runs|stopped while starting)/) });
    await new Promise((r) => setTimeout(r, 2500));
    const runIds = runs.map((a) => a.runId);
    expect(runIds.map((id) => results.seen.get(id)?.length ?? 0)).toEqual(runIds.map(() => 1));
    const history = svc.control.history({ limit: 500 });
    expect(history.filter((e) => e.kind === 'desired_changed').map((e) => e.desired).slice(0, 2)).toEqual([1, 3]);
    await results.stop();
    for (const c of clients) c.close();
  }, 400000);
});

describe('a crash-looping class', () => {
  it('is reported and backed off instead of restarted in a tight loop', async () => {
    // EXECUTOR_QUEUE=0 is refused by the executor's settings: every member exits at start.
    const svc = await fleet(18096, { FLEET_DESIRED: 'gpu=1', FLEET_RESTART_BACKOFF_MS: '200', FLEET_RESTART_BACKOFF_MAX_MS: '8000', FLEET_CRASH_LOOP_RESTARTS: '2' }, { ...executorEnv, EXECUTOR_QUEUE: '0' });
    await until('a crash loop', () => svc.control.list().classes[0]!.crashLoop !== null, 90000);
    const view = svc.control.list().classes[0]!;
    expect(view.members.filter((m) => m.state === 'failed').length).toBeGreaterThanOrEqual(2);
    expect(view.members.every((m) => m.state === 'failed' || m.state === 'starting')).toBe(true);
    expect(svc.control.history().some((e) => /^crash loop: 2 members of gpu died/.test(e.reason))).toBe(true);
    // The longest back-off holds: no new member for the next 5 s.
    const started = view.members.length;
    await new Promise((r) => setTimeout(r, 5000));
    expect(svc.control.list().classes[0]!.members.length).toBe(started);
    const metrics = await (await fetch(`${svc.url}/metrics`)).text();
    expect(metrics).toMatch(/conveyor_fleet_crash_looping\{hardware_class="gpu"\} 1/);
    await svc.stop();
    services.splice(services.indexOf(svc), 1);
  }, 120000);
});
