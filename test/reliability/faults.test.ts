import { randomUUID } from 'node:crypto';
import net from 'node:net';
import type { Kafka } from 'kafkajs';
import WebSocket from 'ws';
import { CONSUMER_FETCH_LIMITS, executorGroupId, loadSchema, requestsTopic, topics } from '../../topics/catalog';
import { createTypedProducer, decodeValue } from '../../topics/codec';
import type { DeadLetter, EditEvent, RunRequest, RunResultRecord } from '../../topics/types';
import { realInfra } from '../support/infra';
import { sampleRecords } from '../support/records';
import { EditorClient } from '../../producers/client/editor-client';
import { infraSettings } from '../../ops/infra/settings';
import { gatewayUrl, postJson, startExecutor, startGateway, stopService, wsUrl } from '../support/stack';

/**
 * The four faults of issue 11, each through the real gateway, broker,
 * registry and sandbox: runs whose output reaches its limit, Piston clients
 * that send stdin after `stage: run`, signals, and a registry outage.
 */
type Svc = Awaited<ReturnType<typeof startExecutor>>;
const started: Svc[] = [];
const track = (s: Svc) => (started.push(s), s);
let executor: Svc;

beforeAll(async () => {
  executor = track(await startExecutor('executor-faults'));
  track(await startGateway());
}, 180000);

afterAll(async () => {
  for (const s of started.reverse()) await stopService(s, 5000);
});

const MiB = 1024 * 1024;
const pyRun = (code: string) => postJson(`${gatewayUrl}/api/v1/runs`, { language: 'python', code });

describe('a run whose output reaches its limit', () => {
  it('answers a Python run that writes past its 1 MiB stdout limit with output_limit and clipped, flagged output', async () => {
    const r = await pyRun('import sys\nsys.stdout.write("x" * 3_000_000)\n');
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ status: 'output_limit', run: { stdoutTruncated: true } });
    expect(r.json.run.stdout.length).toBeGreaterThan(512 * 1024);
    expect(r.json.run.stdout.length).toBeLessThanOrEqual(MiB);
  });

  it('answers exactly 1,048,576 bytes on stdout and stderr together, and invalid UTF-8 (which grows when decoded)', async () => {
    const both = await pyRun('import sys\nsys.stdout.write("o" * 1048576)\nsys.stderr.write("e" * 1048576)\n');
    expect(both.status).toBe(200);
    expect(['ok', 'output_limit']).toContain(both.json.status);
    const invalid = await pyRun('import sys\nsys.stdout.buffer.write(b"\\xff" * 1048576)\nsys.stderr.buffer.write(b"\\xfe" * 1048576)\n');
    expect(invalid.status).toBe(200);
    expect(['ok', 'output_limit']).toContain(invalid.json.status);
    expect(invalid.json.run.stdout.length).toBeGreaterThan(1000);
  });

  it('answers a JavaScript flood streamed live over the editor WebSocket, one 50 MB line on stderr', async () => {
    const c = await EditorClient.connect(wsUrl);
    await c.open('javascript', 'process.stderr.write("y".repeat(50_000_000));\n');
    const { result, output } = await c.run({}, 60000);
    expect(result.result).toMatchObject({ status: 'output_limit', run: { stderrTruncated: true } });
    expect(output.length).toBeGreaterThan(0);
    c.close();
  }, 90000);

  it('answers a run whose raised output limit (16 MiB per stream) exceeds what a record can carry', async () => {
    const r = await postJson(`${gatewayUrl}/api/v1/runs`, {
      language: 'python', code: 'import sys\nsys.stdout.write("a" * 16_000_000)\nsys.stderr.write("b" * 16_000_000)\n',
      limits: { run: { outputBytes: 16 * MiB, memoryBytes: 512 * MiB } },
    });
    expect(r.status).toBe(200);
    expect(r.json.run.stdoutTruncated || r.json.run.stderrTruncated).toBe(true);
  }, 90000);
});

describe('every waiter has a deadline', () => {
  it('answers a Piston execute whose result does not come within RUN_RESULT_DEADLINE_MS with an internal_error message', async () => {
    const port = 18181;
    track(await startGateway({ GATEWAY_PORT: String(port), RUN_RESULT_DEADLINE_MS: '3000' }));
    const t0 = Date.now();
    const r = await postJson(`http://127.0.0.1:${port}/api/v2/execute`, { language: 'python', version: '*', files: [{ content: 'import time\ntime.sleep(8)\n' }], run_timeout: 10000 });
    expect(r.status).toBe(200);
    expect(r.json.run).toMatchObject({ status: 'XX', message: expect.stringContaining('No result arrived within 3 s') });
    expect(Date.now() - t0).toBeLessThan(7500);
  }, 60000);
});

/** Opens /api/v2/connect and collects its events until it closes. */
function pistonConnect(init: object, onEvent: (m: any, ws: WebSocket) => void) {
  const ws = new WebSocket(`${gatewayUrl.replace('http', 'ws')}/api/v2/connect`);
  const events: any[] = [];
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  ws.on('open', () => ws.send(JSON.stringify({ type: 'init', ...init })));
  ws.on('message', (raw) => {
    const m = JSON.parse(raw.toString());
    events.push(m);
    onEvent(m, ws);
  });
  return { events, closed };
}

describe('Piston /api/v2/connect', () => {
  it('sends stage run when the run starts, so a program that reads stdin before printing gets the stdin sent after it', async () => {
    const { events, closed } = pistonConnect(
      { language: 'python', version: '*', files: [{ content: 'name = input()\nprint("hello", name, flush=True)\n' }], run_timeout: 8000 },
      (m, ws) => {
        if (m.type === 'stage' && m.stage === 'run') ws.send(JSON.stringify({ type: 'data', stream: 'stdin', data: 'ada\n' }));
      },
    );
    expect(await closed).toBe(4999);
    expect(events).toContainEqual({ type: 'data', stream: 'stdout', data: 'hello ada\n' });
    expect(events).toContainEqual({ type: 'exit', stage: 'run', code: 0, signal: null });
    const stageAt = events.findIndex((e) => e.type === 'stage' && e.stage === 'run');
    const dataAt = events.findIndex((e) => e.type === 'data');
    expect(stageAt).toBeGreaterThan(-1);
    expect(stageAt).toBeLessThan(dataAt);
  }, 30000);

  it('sends stage compile, then stage run, for a compiled language before any output', async () => {
    const { events, closed } = pistonConnect(
      { language: 'c', version: '*', files: [{ content: '#include <stdio.h>\nint main(){int x; if(scanf("%d",&x)!=1) return 2; printf("%d\\n", x+1); return 0;}' }], run_timeout: 8000 },
      (m, ws) => {
        if (m.type === 'stage' && m.stage === 'run') ws.send(JSON.stringify({ type: 'data', stream: 'stdin', data: '41\n' }));
      },
    );
    expect(await closed).toBe(4999);
    const stages = events.filter((e) => e.type === 'stage').map((e) => e.stage);
    expect(stages[stages.length - 1]).toBe('run');
    expect(events).toContainEqual({ type: 'data', stream: 'stdout', data: '42\n' });
  }, 60000);
});

describe('signals', () => {
  const signalled = (signal: string, code: string) =>
    pistonConnect({ language: 'python', version: '*', files: [{ content: code }], run_timeout: 8000 }, (m, ws) => {
      if (m.type === 'data' && String(m.data).includes('ready')) ws.send(JSON.stringify({ type: 'signal', signal }));
    });

  it('delivers SIGUSR1 to the program, which handles it and goes on', async () => {
    const { events, closed } = signalled(
      'SIGUSR1',
      'import signal, time\ngot = []\nsignal.signal(signal.SIGUSR1, lambda *a: got.append(1))\nprint("ready", flush=True)\nwhile not got: time.sleep(0.01)\nprint("handled usr1", flush=True)\n',
    );
    expect(await closed).toBe(4999);
    expect(events.filter((e) => e.type === 'data').map((e) => e.data).join('')).toContain('handled usr1');
    expect(events).toContainEqual({ type: 'exit', stage: 'run', code: 0, signal: null });
  }, 30000);

  it('delivers SIGINT as a KeyboardInterrupt and reports the program killed by SIGINT', async () => {
    const { events, closed } = signalled('SIGINT', 'import time\nprint("ready", flush=True)\ntime.sleep(30)\n');
    expect(await closed).toBe(4999);
    expect(events.filter((e) => e.type === 'data').map((e) => e.data).join('')).toContain('KeyboardInterrupt');
    expect(events).toContainEqual({ type: 'exit', stage: 'run', code: null, signal: 'SIGINT' });
  }, 30000);

  it('delivers SIGTERM and SIGKILL and reports them as the signal that ended the run', async () => {
    for (const sig of ['SIGTERM', 'SIGKILL']) {
      const { events, closed } = signalled(sig, 'import time\nprint("ready", flush=True)\ntime.sleep(30)\n');
      expect(await closed).toBe(4999);
      expect(events).toContainEqual({ type: 'exit', stage: 'run', code: null, signal: sig });
    }
  }, 40000);

  it('closes with 4005 for a signal name that does not exist', async () => {
    const { closed } = signalled('SIGNOPE', 'import time\nprint("ready", flush=True)\ntime.sleep(3)\n');
    expect(await closed).toBe(4005);
  }, 30000);
});

/** A TCP relay in front of the real registry that can be taken down and brought back: a real outage. */
function relay(target: { host: string; port: number }) {
  let server: net.Server | null = null;
  const sockets = new Set<net.Socket>();
  let port = 0;
  return {
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    async up() {
      server = net.createServer((client) => {
        const upstream = net.connect(target);
        sockets.add(client).add(upstream);
        client.pipe(upstream).pipe(client);
        const drop = () => (client.destroy(), upstream.destroy(), sockets.delete(client), sockets.delete(upstream));
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
      });
      await new Promise<void>((r) => server!.listen(port, '127.0.0.1', () => r()));
      port = (server.address() as net.AddressInfo).port;
    },
    async down() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
      server = null;
    },
  };
}

describe('a schema registry outage', () => {
  it('does not dead-letter a good run request: the executor retries the decode and the run is answered once the registry is back', async () => {
    const { kafka, registry } = realInfra('faults-outage');
    const reg = new URL(infraSettings().registryUrl);
    const r = relay({ host: reg.hostname, port: Number(reg.port) });
    await r.up();
    await stopService(executor, 10000);
    executor = track(await startExecutor('executor-outage', { SCHEMA_REGISTRY_URL: r.url(reg.pathname) }));
    // While the registry answers, the executor learns the schemas it writes with (results, dead letters) and the edits' writer.
    expect((await pyRun('print("warm")\n')).json.status).toBe('ok');
    const producer = await createTypedProducer(kafka, registry);
    const reqTopic = requestsTopic('x86_64');
    await producer.raw.send({ topic: reqTopic.name, messages: [{ key: 'garbage', value: Buffer.from('not avro'), partition: 0 }] });
    await waitFor(async () => (await deadLetters(kafka, (d) => d.key === 'garbage')).length > 0, 20000);

    // A newer producer writes the request with a schema id the executor has never seen; then the registry goes away.
    const evolved = { ...loadSchema(reqTopic), fields: [...(loadSchema(reqTopic).fields as object[]), { name: 'outageProbe', type: 'string', default: '' }] };
    const newer = { ...reqTopic, name: `test.outage.${randomUUID().slice(0, 8)}` };
    await registry.register(newer, evolved);
    const { edit, request } = sampleRecords();
    const open: EditEvent = { ...edit, kind: 'open', baseVersion: 0, version: 1, ops: [], files: [{ name: 'main.py', content: 'print("survived", 6 * 7)\n' }], textBytes: 25 };
    const req: RunRequest = { ...request, sessionId: open.sessionId, programVersion: 1, stdin: '', args: [], runLimits: null, replyTo: 'faults-test', requestedAtMs: Date.now() };
    const results = await collectResults(kafka, req.runId);
    const members = await groupMembers(kafka, executorGroupId('x86_64'));
    await r.down();
    await producer.send(topics.edits, [{ key: open.sessionId, value: open, partition: 0 }]);
    const wire = await registry.encode(newer, { ...req, outageProbe: 'x' } as RunRequest);
    await producer.raw.send({ topic: reqTopic.name, messages: [{ key: req.sessionId, value: wire, partition: 0 }] });
    // Longer than the executor's group session (6 s here): it waits on the decode, beating, and stays in its group.
    await new Promise((res) => setTimeout(res, 9000));
    await r.up();
    const result = await results.first(30000);
    expect(result).toMatchObject({ runId: req.runId, status: 'ok', run: { stdout: 'survived 42\n' } });
    expect(await groupMembers(kafka, executorGroupId('x86_64'))).toEqual(members);
    expect(await deadLetters(kafka, (d) => d.runId === req.runId || d.key === req.sessionId)).toEqual([]);
    await results.stop();
    await producer.disconnect();
    await r.down();
  }, 120000);
});

/** The member ids of a consumer group: a member the coordinator dropped comes back under a new id. */
async function groupMembers(kafka: Kafka, groupId: string): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([groupId]);
    return groups[0]!.members.map((m) => m.memberId).sort();
  } finally {
    await admin.disconnect();
  }
}

async function waitFor(cond: () => Promise<boolean>, timeoutMs: number) {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Every dead letter on runs.dlq that matches, read from the start. */
async function deadLetters(kafka: Kafka, match: (d: DeadLetter) => boolean): Promise<DeadLetter[]> {
  const { registry } = realInfra('faults-dlq');
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topics.dlq.name);
  await admin.disconnect();
  const high = Number(ends[0]!.high);
  const found: DeadLetter[] = [];
  if (high === 0) return found;
  const consumer = kafka.consumer({ ...CONSUMER_FETCH_LIMITS, groupId: `faults-dlq-${randomUUID()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic: topics.dlq.name, fromBeginning: true });
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message }) => {
        const d = await decodeValue(registry, message.value, topics.dlq);
        if (d.ok && match(d.value)) found.push(d.value);
        if (Number(message.offset) + 1 >= high) resolve();
      },
    });
  });
  await consumer.disconnect();
  return found;
}

/** Reads runs.results from now on and resolves with the first result of a run. */
async function collectResults(kafka: Kafka, runId: string) {
  const { registry } = realInfra('faults-results');
  const consumer = kafka.consumer({ ...CONSUMER_FETCH_LIMITS, groupId: `faults-results-${randomUUID()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic: topics.results.name, fromBeginning: false });
  let resolve!: (r: RunResultRecord) => void;
  const got = new Promise<RunResultRecord>((r) => (resolve = r));
  const joined = new Promise<void>((r) => consumer.on(consumer.events.FETCH_START, () => r()));
  await consumer.run({
    eachMessage: async ({ message }) => {
      const d = await decodeValue(registry, message.value, topics.results);
      if (d.ok && d.value.runId === runId) resolve(d.value);
    },
  });
  await joined;
  return {
    first: (ms: number) => Promise.race([got, new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`no result for ${runId} within ${ms} ms`)), ms))]),
    stop: () => consumer.disconnect(),
  };
}
