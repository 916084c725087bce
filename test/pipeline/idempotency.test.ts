import { randomUUID } from 'node:crypto';
import { gatewayUrl, postJson, startExecutor, startGateway, stopService } from '../support/stack';

type Svc = Awaited<ReturnType<typeof startExecutor>>;
const started: Svc[] = [];
const track = (s: Svc) => (started.push(s), s);
const OTHER_PORT = 18083;
const otherUrl = `http://127.0.0.1:${OTHER_PORT}`;
let first: Svc;

beforeAll(async () => {
  const [, a] = await Promise.all([startExecutor('executor-idempotency'), startGateway(), startGateway({ GATEWAY_PORT: String(OTHER_PORT) })]).then((s) => (s.forEach(track), s));
  first = a!;
}, 180000);

afterAll(async () => {
  for (const s of started.reverse()) await stopService(s, 5000);
});

// The nanosecond clock: a run executed a second time prints another number.
const CLOCK = (sleepS: number) => `import time\ntime.sleep(${sleepS})\nprint(time.time_ns())\n`;

describe('Idempotency-Key (REST and Piston)', () => {
  it('answers the same request with the same key with the same run, on any gateway, without running it twice; another body is another run', async () => {
    const key = `k-${randomUUID()}`;
    const body = { language: 'python', code: CLOCK(0) };
    const a = await postJson(`${gatewayUrl}/api/v1/runs`, body, { 'idempotency-key': key });
    expect(a.status).toBe(200);
    expect(a.json).toMatchObject({ status: 'ok', runId: expect.stringMatching(/^r-k/) });
    const again = await postJson(`${otherUrl}/api/v1/runs`, body, { 'idempotency-key': key });
    expect(again.json).toMatchObject({ runId: a.json.runId, status: 'ok', run: { stdout: a.json.run.stdout } });
    const same = await postJson(`${gatewayUrl}/api/v1/runs`, body, { 'idempotency-key': key });
    expect(same.json).toMatchObject({ runId: a.json.runId, run: { stdout: a.json.run.stdout } });
    const other = await postJson(`${gatewayUrl}/api/v1/runs`, { ...body, code: CLOCK(0) + '# another\n' }, { 'idempotency-key': key });
    expect(other.json.runId).not.toBe(a.json.runId);
    expect(other.json.run.stdout).not.toBe(a.json.run.stdout);
    const plain = await postJson(`${gatewayUrl}/api/v1/runs`, body);
    expect(plain.json.runId).not.toBe(a.json.runId);

    const piston = { language: 'python', version: '*', files: [{ content: CLOCK(0) }] };
    const p1 = await postJson(`${gatewayUrl}/api/v2/execute`, piston, { 'idempotency-key': key });
    const p2 = await postJson(`${otherUrl}/api/v2/execute`, piston, { 'idempotency-key': key });
    expect(p1.status).toBe(200);
    expect(p2.json.run.stdout).toBe(p1.json.run.stdout);

    const bad = await postJson(`${gatewayUrl}/api/v1/runs`, body, { 'idempotency-key': 'has spaces in it' });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ error: { code: 'invalid_idempotency_key' } });
    // Piston's own error shape: a message.
    const badPiston = await postJson(`${gatewayUrl}/api/v2/execute`, piston, { 'idempotency-key': 'x'.repeat(129) });
    expect(badPiston.status).toBe(400);
    expect(badPiston.json.message).toMatch(/Idempotency-Key/);
  }, 120000);

  it('answers a run whose gateway died while the client waited, when the client sends it again with its key to another gateway', async () => {
    const key = `k-${randomUUID()}`;
    const body = { language: 'python', code: CLOCK(2) };
    const lost = postJson(`${gatewayUrl}/api/v1/runs`, body, { 'idempotency-key': key }).then(() => 'answered', () => 'connection lost');
    await new Promise((r) => setTimeout(r, 1000));
    first.child.kill('SIGKILL');
    expect(await lost).toBe('connection lost');
    const retry = await postJson(`${otherUrl}/api/v1/runs`, body, { 'idempotency-key': key });
    expect(retry.json).toMatchObject({ status: 'ok', runId: expect.stringMatching(/^r-k/) });
    // Once more: the executor answers from what it remembers, the same clock reading, not a second execution.
    const third = await postJson(`${otherUrl}/api/v1/runs`, body, { 'idempotency-key': key });
    expect(third.json).toMatchObject({ runId: retry.json.runId, run: { stdout: retry.json.run.stdout } });
  }, 120000);
});
