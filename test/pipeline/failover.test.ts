import { randomUUID } from 'node:crypto';
import { EditorClient } from '../../producers/client/editor-client';
import { createRoutingTable, DEFAULT_WEIGHTS } from '../../stream-processors/routing/partitioner';
import { ROUTED_PARTITIONS, topics } from '../../topics/catalog';
import { createTypedProducer } from '../../topics/codec';
import type { EditEvent } from '../../topics/types';
import { realInfra } from '../support/infra';
import { gatewayUrl, postJson, startExecutor, startGateway, stopService, wsUrl } from '../support/stack';

type Svc = Awaited<ReturnType<typeof startExecutor>>;
const started: Svc[] = [];
const track = (s: Svc) => (started.push(s), s);

afterAll(async () => {
  for (const s of started.reverse()) await stopService(s, 5000);
});

const SLOW = 'import time\nprint("started", flush=True)\ntime.sleep(3)\nprint("done", flush=True)\n';

describe('executor failures', () => {
  beforeAll(async () => {
    track(await startGateway());
  }, 120000);

  it('loses no run when the executor is killed with SIGKILL mid-run: the request is redelivered and exactly one result arrives', async () => {
    const first = track(await startExecutor('executor-a'));
    const c = await EditorClient.connect(wsUrl);
    await c.open('python', SLOW);
    const mark = c.messages.length;
    c.send({ type: 'run' });
    const accepted = await c.next((m) => m.type === 'run_accepted', 30000, mark);
    await c.next((m) => m.type === 'output' && m.runId === accepted.runId && String(m.data).includes('started'), 30000, mark);
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));

    track(await startExecutor('executor-b'));
    const result = await c.next((m) => m.type === 'result' && m.runId === accepted.runId, 90000, mark);
    expect(result.result).toMatchObject({ status: 'ok', run: { stdout: 'started\ndone\n' } });
    await new Promise((r) => setTimeout(r, 3000));
    expect(c.messages.filter((m) => m.type === 'result' && m.runId === accepted.runId)).toHaveLength(1);
    c.close();
  }, 150000);

  it('restores session buffers from programs.snapshots when partitions move to a new executor', async () => {
    const c = await EditorClient.connect(wsUrl);
    await c.open('python', '');
    await c.type('print("restored", 6 * 7)\n', 5);
    const before = await c.run();
    expect((before.result.result as any).run.stdout).toBe('restored 42\n');
    // Stop the owner cleanly (it checkpoints and commits), then let a fresh executor take over.
    const owner = started.find((s) => s.name === 'executor-b')!;
    await stopService(owner);
    started.splice(started.indexOf(owner), 1);
    const fs = require('node:fs') as typeof import('node:fs');
    const logFile = owner.log;
    const offset = fs.existsSync(logFile) ? fs.statSync(logFile).size : 0;
    track(await startExecutor('executor-b', { LOG_LEVEL: 'info' }));
    const after = await c.run();
    expect((after.result.result as any).run.stdout).toBe('restored 42\n');
    const log = fs.readFileSync(logFile).subarray(offset).toString('utf8');
    const restored = log.split('\n').filter((l) => l.includes('buffers restored')).map((l) => JSON.parse(l));
    expect(restored.length).toBeGreaterThan(0);
    expect(Math.max(...restored.map((r) => r.records))).toBeGreaterThan(0);
    c.close();
  }, 120000);

  it('drains in-flight runs on SIGTERM: the run finishes and the executor exits cleanly', async () => {
    const c = await EditorClient.connect(wsUrl);
    await c.open('python', SLOW);
    const mark = c.messages.length;
    c.send({ type: 'run' });
    const accepted = await c.next((m) => m.type === 'run_accepted', 30000, mark);
    await c.next((m) => m.type === 'output' && m.runId === accepted.runId, 30000, mark);
    const executor = started.find((s) => s.name === 'executor-b')!;
    const exit = new Promise<number | null>((r) => executor.child.once('exit', (code) => r(code)));
    executor.child.kill('SIGTERM');
    const result = await c.next((m) => m.type === 'result' && m.runId === accepted.runId, 30000, mark);
    expect(result.result).toMatchObject({ status: 'ok', run: { stdout: 'started\ndone\n' } });
    expect(await exit).toBe(0);
    c.close();
  }, 60000);

  it('repairs an executor that lost a session’s text: the gateway restates it and the run succeeds', async () => {
    // No checkpoints in this executor, so once its buffer is gone no snapshot can help.
    track(await startExecutor('executor-c', { SNAPSHOT_INTERVAL_MS: '60000', BUFFER_WAIT_MS: '300' }));
    const c = await EditorClient.connect(wsUrl);
    await c.open('python', 'print("healed")\n');
    expect(((await c.run()).result.result as any).run.stdout).toBe('healed\n');
    // Make the executor forget the session, as a crash between checkpoints would.
    const { kafka, registry } = realInfra();
    const producer = await createTypedProducer(kafka, registry);
    const table = createRoutingTable(ROUTED_PARTITIONS, DEFAULT_WEIGHTS);
    const close: EditEvent = {
      eventId: randomUUID(), sessionId: c.sessionId!, userId: 'test', timestampMs: Date.now(), kind: 'close', language: 'python',
      dependencySet: 'python-3.11-std', hardwareClass: 'x86_64', baseVersion: c.version, version: c.version, files: null, ops: [], textBytes: 0,
    };
    await producer.send(topics.edits, [{ key: c.sessionId!, value: close, partition: table.partitionOf('python-3.11-std', c.sessionId!) }]);
    await producer.disconnect();
    await new Promise((r) => setTimeout(r, 500));
    const again = await c.run();
    expect(again.result.result).toMatchObject({ status: 'ok', runId: again.accepted.runId, run: { stdout: 'healed\n' } });
    c.close();
  }, 120000);

  it('refuses a run for a hardware class whose executors are all gone with 503 hardware_class_unavailable', async () => {
    const t0 = Date.now();
    const res = await postJson(`${gatewayUrl}/api/v1/runs`, { language: 'c', hardwareClass: 'arm64', code: 'int main(){return 0;}' });
    expect(res.status).toBe(503);
    expect(res.json.error.code).toBe('hardware_class_unavailable');
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Date.now() - t0).toBeLessThan(10000);
  });
});
