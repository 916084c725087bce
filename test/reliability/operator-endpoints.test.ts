import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { startFleetService, type FleetService } from '../../ops/fleet/service';
import { fleetSettings } from '../../ops/fleet/settings';
import { topics } from '../../topics/catalog';
import { operatorToken } from '../../topics/ground/operator-token';
import { realInfra } from '../support/infra';
import { gatewayUrl, startGateway, stopService } from '../support/stack';

/**
 * Every operator endpoint — the fleet manager's and the gateway's — refuses a
 * request without the operator token (401 operator_token_required) and with a
 * wrong one (403 operator_token_invalid), and answers the right one; what the
 * public reads (runtimes, stats, KEDA's document) stays open.
 */
const secret = `operator-test-${randomUUID()}`;
const token = operatorToken({ configured: secret, stateDir: os.tmpdir() });
const { kafka, registry } = realInfra('conveyor-operator-test');
let gateway: Awaited<ReturnType<typeof startGateway>>;
let fleet: FleetService;

beforeAll(async () => {
  gateway = await startGateway({ CONVEYOR_OPERATOR_TOKEN: secret });
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'operator-test-'));
  // No executors: the fleet's endpoints are what is checked, not its members.
  fleet = await startFleetService({ kafka, registry, token, logDir, settings: fleetSettings({ ...process.env, FLEET_PORT: '18096', FLEET_DESIRED: 'x86_64=0' }) });
}, 120000);
afterAll(async () => {
  await fleet?.stop();
  await stopService(gateway, 5000);
}, 60000);

type Call = [method: string, where: string, url: () => string, body?: unknown];
const operatorCalls: Call[] = [
  ['GET', 'fleet /api/ops/fleet', () => `${fleet.url}/api/ops/fleet`],
  ['POST', 'fleet /api/ops/fleet/classes/x86_64/scale', () => `${fleet.url}/api/ops/fleet/classes/x86_64/scale`, { desired: 3 }],
  ['POST', 'fleet /api/ops/fleet/classes/x86_64/decisions', () => `${fleet.url}/api/ops/fleet/classes/x86_64/decisions`, { desired: 3, reason: 'test', inputs: {}, apply: true }],
  ['POST', 'fleet /api/ops/fleet/members/nobody/drain', () => `${fleet.url}/api/ops/fleet/members/nobody/drain`, {}],
  ['GET', 'fleet /api/ops/fleet/history', () => `${fleet.url}/api/ops/fleet/history`],
  ['GET', 'gateway /api/ops/topics', () => `${gatewayUrl}/api/ops/topics`],
  ['GET', 'gateway /api/ops/runtimes', () => `${gatewayUrl}/api/ops/runtimes`],
];

async function call([method, , url, body]: Call, headers: Record<string, string>) {
  const res = await fetch(url(), { method, headers: { 'content-type': 'application/json', ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, auth: res.headers.get('www-authenticate'), json: (await res.json()) as any };
}

describe('operator endpoints', () => {
  it.each(operatorCalls)('%s %s refuses a request without the token and one with a wrong token', async (...c) => {
    const none = await call(c, {});
    expect(none.status).toBe(401);
    expect(none.auth).toMatch(/^Bearer/);
    expect(none.json.error).toEqual({ code: 'operator_token_required', message: expect.stringMatching(/operator token/) });
    const wrong = await call(c, { authorization: 'Bearer not-the-operator-token' });
    expect(wrong.status).toBe(403);
    expect(wrong.json.error.code).toBe('operator_token_invalid');
    const other = await call(c, { 'x-operator-token': `${secret}x` });
    expect(other.status).toBe(403);
  });

  it('did not act on any refused request', () => {
    expect(fleet.control.list().classes.find((c) => c.hardwareClass === 'x86_64')!.desired).toBe(0);
  });

  it('answers the operator token on the gateway: topics against the catalog and runtimes with their executors', async () => {
    const topicsRes = await call(operatorCalls[5]!, { authorization: `Bearer ${secret}` });
    expect(topicsRes.status).toBe(200);
    expect(topicsRes.json.topics).toEqual(expect.arrayContaining([expect.objectContaining({ name: topics.edits.name, declared: true, partitions: expect.any(Number) })]));
    const runtimes = await call(operatorCalls[6]!, { 'x-operator-token': secret });
    expect(runtimes.status).toBe(200);
    expect(runtimes.json.runtimes).toEqual(expect.arrayContaining([expect.objectContaining({ language: 'python', liveHardwareClasses: expect.any(Array) })]));
    expect(runtimes.json.executors).toEqual(expect.any(Array));
    const history = await call(operatorCalls[4]!, { authorization: `Bearer ${secret}` });
    expect(history.status).toBe(200);
  });

  it('keeps the public reads open: runtimes, stats, health and the KEDA document', async () => {
    for (const url of [`${gatewayUrl}/api/v1/runtimes`, `${gatewayUrl}/api/v2/runtimes`, `${gatewayUrl}/healthz`, `${fleet.url}/keda/desired`, `${fleet.url}/healthz`]) {
      const res = await fetch(url);
      expect({ url, status: res.status }).toEqual({ url, status: 200 });
    }
    // The stats come from the analytics service; whether it runs or not, the gateway never asks for a token.
    const stats = await fetch(`${gatewayUrl}/api/stats/meta`);
    expect([200, 503]).toContain(stats.status);
  });

  it('says how many members a fleet has on its open health check, not who they are', async () => {
    const health = (await (await fetch(`${fleet.url}/healthz`)).json()) as any;
    expect(health.classes[0]).toMatchObject({ hardwareClass: 'x86_64', members: 0 });
    expect(JSON.stringify(health)).not.toMatch(/"pid"/);
  });
});
