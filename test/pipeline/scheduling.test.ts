import { EditorClient } from '../../producers/client/editor-client';
import { serverMessage } from '../../producers/gateway/protocol';
import { postJson, startExecutor, startGateway, stopService } from '../support/stack';

/**
 * Scheduling on the real stack: one executor with one slot, so the order is
 * the scheduler's alone; two gateways reading its queue reports, one with a
 * generous admission bound and one with a tight one.
 */
const OPEN_PORT = 18084;
const STRICT_PORT = 18085;
const open = `http://127.0.0.1:${OPEN_PORT}`;
const strict = `http://127.0.0.1:${STRICT_PORT}`;
const STRICT_BOUND_S = 4;
const sleeper = (s: number) => `import time\ntime.sleep(${s})\nprint("slept ${s}")\n`;
const hello = 'print("hello")\n';

let services: Awaited<ReturnType<typeof startExecutor>>[] = [];
beforeAll(async () => {
  services = [await startExecutor('executor-scheduling', { EXECUTOR_CONCURRENCY: '1', EXECUTOR_QUEUE: '12', EXECUTOR_SCHEDULER: 'conveyor' })];
  services.push(...(await Promise.all([
    startGateway({ GATEWAY_PORT: String(OPEN_PORT), ADMISSION_MAX_WAIT_MS: '600000' }),
    startGateway({ GATEWAY_PORT: String(STRICT_PORT), ADMISSION_MAX_WAIT_MS: String(STRICT_BOUND_S * 1000) }),
  ])));
  // The executor learns what these programs cost from one run of each.
  for (const code of [sleeper(3), sleeper(1), hello]) {
    const r = await postJson(`${open}/api/v1/runs`, { language: 'python', code });
    expect(r.json.status).toBe('ok');
  }
}, 180000);

afterAll(async () => {
  for (const s of services.reverse()) await stopService(s);
});

const wsOf = (base: string) => `${base.replace('http', 'ws')}/ws/editor`;

/** Starts `n` runs of `code`, each from a client of its own, and waits until each was accepted. */
async function startRuns(n: number, code: string, base = open) {
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const c = await EditorClient.connect(wsOf(base), { 'x-api-key': `sched-${code.length}-${i}-${Date.now()}` });
      await c.open('python', code);
      const mark = c.messages.length;
      c.send({ type: 'run' });
      const accepted = await c.next((m) => m.type === 'run_accepted', 30000, mark);
      return { c, runId: accepted.runId as string };
    }),
  );
}

const resultOf = (x: { c: EditorClient; runId: string }, timeoutMs = 60000) => x.c.next((m) => m.type === 'result' && m.runId === x.runId, timeoutMs).then((m) => m.result as any);

async function cancelAll(runs: { c: EditorClient; runId: string }[]) {
  for (const r of runs) r.c.send({ type: 'cancel', runId: r.runId });
  await Promise.all(runs.map((r) => resultOf(r).catch(() => undefined)));
  for (const r of runs) r.c.close();
}

/** The gateway's /metrics line for the executor's queue depth. */
async function queueDepth(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const m = /^conveyor_queue_depth\{hardware_class="x86_64"\} (\d+)/m.exec(text);
  return m ? Number(m[1]) : 0;
}

async function until(check: () => Promise<boolean>, timeoutMs: number) {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('run scheduling on one core', () => {
  it('finishes a hello world submitted behind ten 3-second programs first', async () => {
    const long = await startRuns(10, sleeper(3));
    // All ten reached the executor: one runs, nine wait (the gateway's /metrics shows its report).
    await until(async () => (await queueDepth(open)) >= 9, 20000);
    const [me] = await startRuns(1, hello);
    const mine = await resultOf(me!);
    expect(mine.status).toBe('ok');
    expect(mine.run.stdout).toBe('hello\n');
    // It waited for the run in the slot only, not for the nine queued before it.
    expect(mine.queueWaitMs).toBeLessThan(6000);
    await cancelAll(long);
    const started = long.map((l) => l.c.messages.find((m) => m.type === 'result')?.result as any);
    const ranBefore = started.filter((r) => r && r.status === 'ok' && r.finishedAtMs <= mine.startedAtMs);
    expect(ranBefore.length).toBeLessThanOrEqual(1);
    // The express lane: a hello world of learned cost started while a program still held the only slot, not after it.
    expect(started.some((r) => r && r.startedAtMs > 0 && r.startedAtMs < mine.startedAtMs && r.finishedAtMs > mine.startedAtMs)).toBe(true);
    me!.c.close();
  });

  it('shows a waiting editor client its place in the queue counting down', async () => {
    const ahead = await startRuns(3, sleeper(1));
    await until(async () => (await queueDepth(open)) >= 2, 20000);
    const [me] = await startRuns(1, sleeper(1));
    const r = await resultOf(me!);
    expect(r.status).toBe('ok');
    const queued = me!.c.messages.filter((m) => m.type === 'queued' && m.runId === me!.runId);
    const positions = queued.map((m) => m.position as number);
    expect(positions[0]).toBeGreaterThanOrEqual(2);
    expect(positions.at(-1)).toBe(1);
    // Counting down: never back up (nothing shorter arrives here), and more than one place seen. A place repeats when only its expected start moved.
    for (let i = 1; i < positions.length; i++) expect(positions[i]).toBeLessThanOrEqual(positions[i - 1]!);
    expect(new Set(positions).size).toBeGreaterThanOrEqual(2);
    // Expected start stays in the future of when it was said, and within a few seconds of the truth.
    expect(Math.abs((queued[0]!.expectedStartMs as number) - r.startedAtMs)).toBeLessThan(2500);
    for (const m of me!.c.messages) expect(serverMessage.safeParse(m).error).toBeUndefined();
    await Promise.all(ahead.map((a) => resultOf(a)));
    for (const a of [...ahead, me!]) a.c.close();
  });

  it('refuses a run beyond the admission bound with a Retry-After that matches the queue', async () => {
    const long = await startRuns(4, sleeper(3));
    await until(async () => (await queueDepth(strict)) >= 3, 20000);
    const t0 = Date.now();
    const rest = await postJson(`${strict}/api/v1/runs`, { language: 'python', code: hello });
    const piston = await postJson(`${strict}/api/v2/execute`, { language: 'python', version: '*', files: [{ content: hello }] });
    const ws = await EditorClient.connect(wsOf(strict));
    await ws.open('python', hello);
    ws.send({ type: 'run' });
    const refused = await ws.next((m) => m.type === 'error' || m.type === 'run_accepted');
    expect(rest.status).toBe(429);
    expect(rest.json.error.code).toBe('queue_full');
    const retryAfter = Number(rest.headers.get('retry-after'));
    const waitS = Number(/about (\d+) s/.exec(rest.json.error.message)![1]);
    // About 12 s of sleeping ahead (one running, three queued, 3 s each), minus what already ran.
    expect(waitS).toBeGreaterThanOrEqual(8);
    // A loaded machine stretches the sleepers' wall time a little; a wrong sum would be far off.
    expect(waitS).toBeLessThanOrEqual(15);
    expect(retryAfter).toBeGreaterThanOrEqual(waitS - STRICT_BOUND_S - 1);
    expect(retryAfter).toBeLessThanOrEqual(waitS - STRICT_BOUND_S + 1);
    expect(piston.status).toBe(429);
    expect(Number(piston.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(piston.json.message).toMatch(/busy/);
    expect(refused).toMatchObject({ type: 'error', code: 'queue_full' });
    expect(refused.retryAfterS).toBeGreaterThan(0);
    expect(Date.now() - t0).toBeLessThan(5000);
    ws.close();
    await cancelAll(long);
  });

  it('loses nothing when the executor queue is full: every accepted run is answered', async () => {
    const n = 30;
    const answers = await Promise.all(
      Array.from({ length: n }, (_, i) => postJson(`${open}/api/v1/runs`, { language: 'python', code: `print(${i})\n` }, { 'x-api-key': `full-${i}` })),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(n).fill(200));
    expect(answers.map((a) => a.json.run.stdout).sort()).toEqual(Array.from({ length: n }, (_, i) => `${i}\n`).sort());
  });
});
