import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { EditorClient } from '../../producers/client/editor-client';
import { serverMessage } from '../../producers/gateway/protocol';
import { createRoutingTable, DEFAULT_WEIGHTS } from '../../stream-processors/routing/partitioner';
import { ROUTED_PARTITIONS, requestsTopic, topics } from '../../topics/catalog';
import { decodeValue } from '../../topics/codec';
import type { EditEvent, RunRequest } from '../../topics/types';
import { startAnalyticsFromNow } from '../support/analytics';
import { realInfra } from '../support/infra';
import { gatewayUrl, postJson, startExecutor, startGateway, stopService, testEnv, wsUrl } from '../support/stack';

let services: Awaited<ReturnType<typeof startExecutor>>[] = [];

beforeAll(async () => {
  services = await Promise.all([startExecutor(), startExecutor('executor-arm64', { EXECUTOR_HARDWARE_CLASS: 'arm64' })]);
  services.push(await startGateway());
}, 180000);

afterAll(async () => {
  for (const s of services.reverse()) await stopService(s);
});

describe('editor sessions over WebSocket', () => {
  it('types a program in many small edits, runs it, and streams live output before the result', async () => {
    const c = await EditorClient.connect(wsUrl);
    const opened = await c.open('python', '');
    expect(opened).toMatchObject({ type: 'opened', version: 1, dependencySet: 'python-3.11-std' });
    await c.type('import sys\nfor i in range(3):\n    print("line", i, flush=True)\nprint(sys.argv[1:], file=sys.stderr)\n', 4);
    expect(c.version).toBeGreaterThan(20);
    const { result, output } = await c.run({ args: ['a', 'b'] });
    const r = result.result as any;
    expect(r.status).toBe('ok');
    expect(r.programVersion).toBe(c.version);
    expect(r.run.stdout).toBe('line 0\nline 1\nline 2\n');
    expect(r.run.stderr).toBe("['a', 'b']\n");
    expect(output.map((o) => o.data).join('')).toContain('line 2');
    // Live chunks arrive before the result message.
    const idx = (m: object) => c.messages.indexOf(m as any);
    expect(Math.max(...output.map(idx))).toBeLessThan(idx(result));
    // Every message the server sent matches the published protocol schema.
    for (const m of c.messages) expect(serverMessage.safeParse(m).error).toBeUndefined();
    c.close();
  });

  it('resumes a session after a reconnect without losing an edit', async () => {
    const a = await EditorClient.connect(wsUrl);
    await a.open('python', 'print("one")\n');
    const sessionId = a.sessionId!;
    await a.type('print("two")\n', 5);
    const acked = a.version;
    // The connection drops while an edit is in flight: the client keeps its own text.
    a.send({ type: 'edit', baseVersion: acked, ops: [{ offset: a.currentText().length, deleteCount: 0, insert: 'print("three")\n' }] });
    a.terminate();
    const mine = 'print("one")\nprint("two")\nprint("three")\n';

    const b = await EditorClient.connect(wsUrl);
    b.send({ type: 'resume', sessionId, version: acked, files: [{ name: 'main.py', content: mine }] });
    const resumed = await b.next((m) => m.type === 'opened');
    expect(resumed).toMatchObject({ sessionId, resumed: true });
    expect((resumed.files as any)[0].content).toBe(mine);
    const { result } = await b.run();
    expect((result.result as any).run.stdout).toBe('one\ntwo\nthree\n');
    b.close();
  });

  it('tells a client that is behind and resynchronises it with the full text', async () => {
    const c = await EditorClient.connect(wsUrl);
    await c.open('python', 'x = 1\n');
    await c.edit(6, 0, 'y = 2\n');
    expect(await c.edit(0, 0, '#')).toMatchObject({ type: 'ack', version: 3 });
    c.send({ type: 'edit', baseVersion: 1, ops: [{ offset: 0, deleteCount: 0, insert: '#' }] });
    const resync = await c.next((m) => m.type === 'resync');
    expect(resync.version).toBe(3);
    expect((resync.files as any)[0].content).toBe('#x = 1\ny = 2\n');
    expect(resync.reason).toMatch(/behind/);
    c.close();
  });

  it('refuses malformed and oversized messages with clear codes and keeps the connection usable', async () => {
    const c = await EditorClient.connect(wsUrl);
    c.send({ type: 'edit', baseVersion: 0, ops: [{ offset: 0, insert: 'x' }] });
    expect(await c.next((m) => m.type === 'error')).toMatchObject({ code: 'no_session' });
    const mark = c.messages.length;
    (c as any).ws.send('{not json');
    expect(await c.next((m) => m.type === 'error', 5000, mark)).toMatchObject({ code: 'malformed_json' });
    const mark2 = c.messages.length;
    c.send({ type: 'teleport' });
    expect(await c.next((m) => m.type === 'error', 5000, mark2)).toMatchObject({ code: 'invalid_message' });
    expect(await c.open('brainfuck', '')).toMatchObject({ type: 'error', code: 'unknown_language' });
    expect(await c.open('python', 'x'.repeat(300 * 1024))).toMatchObject({ type: 'error', code: 'program_too_large' });
    await c.open('python', 'print(1)\n');
    expect(await c.edit(500, 0, 'x')).toMatchObject({ type: 'error', code: 'edit_out_of_range' });
    const mark3 = c.messages.length;
    c.send({ type: 'run', limits: { run: { wallMs: 10 ** 9 } } });
    expect(await c.next((m) => m.type === 'error', 5000, mark3)).toMatchObject({ code: 'limit_exceeds_maximum' });
    const { result } = await c.run();
    expect((result.result as any).run.stdout).toBe('1\n');
    c.close();
  });

  it('cancels a running program', async () => {
    const c = await EditorClient.connect(wsUrl);
    await c.open('python', 'import time\nprint("start", flush=True)\ntime.sleep(30)\n');
    const mark = c.messages.length;
    c.send({ type: 'run' });
    const accepted = await c.next((m) => m.type === 'run_accepted', 30000, mark);
    await c.next((m) => m.type === 'output' && m.runId === accepted.runId, 30000, mark);
    c.send({ type: 'cancel', runId: accepted.runId });
    const result = await c.next((m) => m.type === 'result' && m.runId === accepted.runId, 30000, mark);
    expect(['cancelled', 'runtime_error']).toContain((result.result as any).status);
    expect((result.result as any).run.wallMs).toBeLessThan(20000);
    c.close();
  });
});

describe('several gateways', () => {
  beforeAll(async () => {
    services.push(await startGateway({ GATEWAY_PORT: '18081' }));
  }, 60_000);

  it('brings each run’s output and result back to the gateway that sent it', async () => {
    const clients = await Promise.all([EditorClient.connect(wsUrl), EditorClient.connect('ws://127.0.0.1:18081/ws/editor')]);
    await Promise.all(clients.map((c, i) => c.open('python', `print("from gateway ${i}")\n`)));
    // Runs of one client go one after the other; the two gateways work at the same time.
    const runs = (await Promise.all(clients.map(async (c) => [await c.run(), await c.run()]))).flat();
    runs.forEach((r, i) => {
      const gw = Math.floor(i / 2);
      expect((r.result.result as any).run.stdout).toBe(`from gateway ${gw}\n`);
    });
    // Nobody received another gateway's results.
    for (const c of clients) expect(c.messages.filter((m) => m.type === 'result')).toHaveLength(2);
    clients.forEach((c) => c.close());
  });

  it('resumes sessions opened on another gateway from the snapshot changelog, a burst of them with one or two scans', async () => {
    const texts = Array.from({ length: 6 }, (_, i) => `print("moved ${i} ${randomUUID()}")\n`);
    const owners = await Promise.all(texts.map(() => EditorClient.connect(wsUrl)));
    const ids = (await Promise.all(owners.map((c, i) => c.open('python', texts[i]!)))).map((m) => m.sessionId as string);
    owners.forEach((c) => c.close());
    const other = 'ws://127.0.0.1:18081/ws/editor';
    const resume = async (sessionId: string) => {
      const c = await EditorClient.connect(other);
      c.send({ type: 'resume', sessionId, version: 1 });
      const m = await c.next((x) => x.type === 'opened' || x.type === 'error');
      c.close();
      return m;
    };
    // The executors checkpoint every SNAPSHOT_INTERVAL_MS: wait until the last session is in the changelog.
    const deadline = Date.now() + 20_000;
    let probe = await resume(ids[5]!);
    while (probe.type !== 'opened' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      probe = await resume(ids[5]!);
    }
    expect(probe).toMatchObject({ type: 'opened', sessionId: ids[5], resumed: true });
    const scans = async () => Number(/conveyor_snapshot_scans_total (\d+)/.exec(await (await fetch('http://127.0.0.1:18081/metrics')).text())?.[1]);
    const before = await scans();
    // Connected first, then all resumes sent at once: a burst like reconnects after a gateway restart.
    const conns = await Promise.all(ids.slice(0, 5).map(() => EditorClient.connect(other)));
    conns.forEach((c, i) => c.send({ type: 'resume', sessionId: ids[i], version: 1 }));
    const burst = await Promise.all(conns.map((c) => c.next((x) => x.type === 'opened' || x.type === 'error')));
    conns.forEach((c) => c.close());
    burst.forEach((m, i) => {
      expect(m).toMatchObject({ type: 'opened', sessionId: ids[i], resumed: true, language: 'python' });
      expect((m.files as { content: string }[])[0]!.content).toBe(texts[i]);
    });
    expect((await scans()) - before).toBeLessThanOrEqual(2);
    // A session nobody opened is refused with a code, not hung.
    expect(await resume(`s-${randomUUID()}`)).toMatchObject({ type: 'error', code: 'unknown_session' });
  });
});

describe('routing by dependency set', () => {
  it('puts a session’s edits and runs on the same partition, and different sets on different ranges', async () => {
    const { kafka, registry } = realInfra();
    const table = createRoutingTable(ROUTED_PARTITIONS, DEFAULT_WEIGHTS);
    const py = await EditorClient.connect(wsUrl);
    await py.open('python', 'print(1)\n');
    const cpp = await EditorClient.connect(wsUrl);
    await cpp.open('c++', '#include <cstdio>\nint main(){puts("1");}\n');
    await py.run();
    await cpp.run();
    const ids = new Set([py.sessionId!, cpp.sessionId!]);
    const seen: Record<string, { edits: Set<number>; runs: Set<number> }> = {};
    for (const id of ids) seen[id] = { edits: new Set(), runs: new Set() };
    const consumer = kafka.consumer({ groupId: `test-routing-${randomUUID()}`, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topics: [topics.edits.name, requestsTopic('x86_64').name], fromBeginning: true });
    const admin = kafka.admin();
    await admin.connect();
    const ends = new Map<string, number>();
    for (const t of [topics.edits.name, requestsTopic('x86_64').name]) for (const o of await admin.fetchTopicOffsets(t)) ends.set(`${t}/${o.partition}`, Number(o.high));
    await admin.disconnect();
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ topic, partition, message }) => {
          const key = message.key?.toString() ?? '';
          if (ids.has(key)) {
            if (topic === topics.edits.name) seen[key]!.edits.add(partition);
            else seen[key]!.runs.add(partition);
            const d = await decodeValue<EditEvent | RunRequest>(registry, message.value);
            expect(d.ok).toBe(true);
          }
          if (Object.values(seen).every((s) => s.edits.size && s.runs.size)) resolve();
        },
      });
    });
    await consumer.disconnect();
    const pyP = [...seen[py.sessionId!]!.edits];
    const cppP = [...seen[cpp.sessionId!]!.edits];
    expect(pyP).toHaveLength(1);
    expect([...seen[py.sessionId!]!.runs]).toEqual(pyP);
    expect([...seen[cpp.sessionId!]!.runs]).toEqual(cppP);
    const pyRange = table.rangeOf('python-3.11-std');
    const cppRange = table.rangeOf('cpp-gcc12-std');
    expect(pyP[0]).toBeGreaterThanOrEqual(pyRange.start);
    expect(pyP[0]).toBeLessThan(pyRange.start + pyRange.size);
    expect(cppP[0]).toBeGreaterThanOrEqual(cppRange.start);
    expect(cppP[0]).toBeLessThan(cppRange.start + cppRange.size);
    expect(pyRange.start + pyRange.size <= cppRange.start || cppRange.start + cppRange.size <= pyRange.start).toBe(true);
    py.close();
    cpp.close();
  });
});

describe('REST API', () => {
  it('runs a program synchronously and returns the result with usage', async () => {
    const res = await postJson(`${gatewayUrl}/api/v1/runs`, { language: 'py', code: 'import sys\nprint(sys.stdin.read().upper())', stdin: 'hello' });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ status: 'ok', language: 'python', run: { stdout: 'HELLO\n', exitCode: 0 } });
    expect(res.json.run.peakMemoryBytes).toBeGreaterThan(0);
  });

  it('runs asynchronously, answers 202 with a link, and calls the webhook with retries', async () => {
    let calls = 0;
    const bodies: any[] = [];
    const hook = http.createServer((req, res) => {
      let b = '';
      req.on('data', (d) => (b += d));
      req.on('end', () => {
        calls++;
        bodies.push(JSON.parse(b));
        res.statusCode = calls === 1 ? 503 : 200;
        res.end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    const port = (hook.address() as AddressInfo).port;
    const res = await postJson(`${gatewayUrl}/api/v1/runs`, { language: 'javascript', code: 'console.log(6*7)', wait: false, webhook: `http://127.0.0.1:${port}/done` });
    expect(res.status).toBe(202);
    expect(res.json.href).toBe(`/api/v1/runs/${res.json.runId}`);
    const deadline = Date.now() + 30000;
    while (calls < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    hook.close();
    expect(calls).toBe(2);
    expect(bodies[1]).toMatchObject({ runId: res.json.runId, status: 'ok', run: { stdout: '42\n' } });
    const fetched = await fetch(`${gatewayUrl}${res.json.href}`).then((r) => r.json() as Promise<any>);
    expect(fetched).toMatchObject({ runId: res.json.runId, status: 'ok' });
  });

  it('runs C on the arm64 hardware class under emulation', async () => {
    const code = '#include <stdio.h>\n#include <sys/utsname.h>\nint main(void){struct utsname u; uname(&u); puts(u.machine); return 0;}\n';
    const res = await postJson(`${gatewayUrl}/api/v1/runs`, { language: 'c', hardwareClass: 'arm64', code });
    expect(res.json).toMatchObject({ status: 'ok', hardwareClass: 'arm64', run: { stdout: 'aarch64\n' } });
  });

  it('refuses a hardware class without executors at once instead of hanging', async () => {
    const t0 = Date.now();
    const res = await postJson(`${gatewayUrl}/api/v1/runs`, { language: 'c', hardwareClass: 'gpu', code: 'int main(){}' });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('hardware_class_unavailable');
    expect(Date.now() - t0).toBeLessThan(10000);
  });

  it('lists runtimes with dependency sets, hardware classes and limits', async () => {
    const body = await fetch(`${gatewayUrl}/api/v1/runtimes`).then((r) => r.json() as Promise<any>);
    const langs = body.runtimes.map((r: any) => r.language);
    for (const l of ['c', 'c++', 'python', 'javascript', 'typescript', 'go', 'rust', 'java']) expect(langs).toContain(l);
    expect(body.runtimes.find((r: any) => r.language === 'python').dependencySets).toContain('python-3.11-sci');
    expect(body.limits.maximums.run.wallMs).toBeGreaterThan(0);
    expect(body.hardwareClasses).toEqual(expect.arrayContaining(['x86_64', 'arm64']));
  });

  it('refuses bad input with codes and sentences', async () => {
    const bad = async (body: unknown, status: number, code: string) => {
      const res = await postJson(`${gatewayUrl}/api/v1/runs`, body);
      expect(res.status).toBe(status);
      expect(res.json.error.code).toBe(code);
      expect(res.json.error.message).toMatch(/\w+ \w+/);
    };
    await bad('{"language":', 400, 'malformed_json');
    await bad({ language: 'python' }, 400, 'invalid_request');
    await bad({ language: 'cobol', code: 'x' }, 400, 'unknown_language');
    await bad({ language: 'python', code: 'x', compilerFlags: [], limits: { run: { memoryBytes: 1e15 } } }, 400, 'limit_exceeds_maximum');
    await bad({ language: 'python', files: [{ name: '../etc/passwd', content: 'x' }] }, 400, 'invalid_file_name');
    await bad({ language: 'python', code: 'x'.repeat(300 * 1024) }, 413, 'program_too_large');
    await bad({ language: 'python', code: 'x'.repeat(600 * 1024) }, 413, 'request_too_large');
  });

  it('rate-limits a client with 429 and Retry-After', async () => {
    const key = `k-${randomUUID()}`;
    let limited: Awaited<ReturnType<typeof postJson>> | null = null;
    // Concurrent batches: on a loaded machine one request at a time may not outpace the refill.
    for (let i = 0; i < 40 && !limited; i++) {
      const batch = await Promise.all(Array.from({ length: 50 }, () => postJson(`${gatewayUrl}/api/v1/runs`, { language: 'cobol', code: 'x' }, { 'x-api-key': key })));
      limited = batch.find((res) => res.status === 429) ?? null;
    }
    expect(limited).not.toBeNull();
    expect(limited!.json.error.code).toBe('rate_limited');
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });
});

describe('Piston-compatible API', () => {
  it('lists runtimes in Piston’s shape', async () => {
    const list = await fetch(`${gatewayUrl}/api/v2/runtimes`).then((r) => r.json() as Promise<any[]>);
    const py = list.find((r) => r.language === 'python');
    expect(py).toEqual({ language: 'python', version: expect.stringMatching(/^3\.11/), aliases: expect.arrayContaining(['py']) });
  });

  it('executes with compile and run stages and Piston fields', async () => {
    const res = await postJson(`${gatewayUrl}/api/v2/execute`, {
      language: 'c++', version: '*', files: [{ name: 'main.cpp', content: '#include <iostream>\nint main(){int x; std::cin >> x; std::cout << x * 2 << "\\n"; return 3;}' }],
      stdin: '21', run_timeout: 3000, compile_timeout: 10000,
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      language: 'c++',
      compile: { code: 0, stdout: '', stderr: '', signal: null },
      run: { stdout: '42\n', stderr: '', output: '42\n', code: 3, signal: null, status: 'RE' },
    });
    expect(typeof res.json.run.cpu_time).toBe('number');
    expect(typeof res.json.run.wall_time).toBe('number');
  });

  it('reports a timeout as Piston status TO and errors as {message}', async () => {
    const res = await postJson(`${gatewayUrl}/api/v2/execute`, { language: 'python', version: '3.11', files: [{ content: 'while True: pass' }], run_timeout: 500 });
    expect(res.json.run.status).toBe('TO');
    const bad = await postJson(`${gatewayUrl}/api/v2/execute`, { language: 'python', version: '1.0', files: [{ content: 'x' }] });
    expect(bad.status).toBe(400);
    expect(bad.json).toEqual({ message: 'python-1.0 runtime is unknown' });
  });

  it('runs interactively over /api/v2/connect with stdin data and exit events', async () => {
    const ws = new WebSocket(`${gatewayUrl.replace('http', 'ws')}/api/v2/connect`);
    const events: any[] = [];
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    ws.on('message', (raw) => {
      const m = JSON.parse(raw.toString());
      events.push(m);
      if (m.type === 'runtime') ws.send(JSON.stringify({ type: 'data', stream: 'stdin', data: 'ping\n' }));
    });
    await new Promise((r) => ws.on('open', r));
    ws.send(JSON.stringify({ type: 'init', language: 'python', version: '*', files: [{ content: 'print("got", input(), flush=True)' }], run_timeout: 5000 }));
    expect(await closed).toBe(4999);
    expect(events[0]).toMatchObject({ type: 'runtime', language: 'python' });
    expect(events).toContainEqual({ type: 'stage', stage: 'run' });
    expect(events).toContainEqual({ type: 'data', stream: 'stdout', data: 'got ping\n' });
    expect(events).toContainEqual({ type: 'exit', stage: 'run', code: 0, signal: null });
  });

  it('closes /api/v2/connect with 4003 when data comes before init', async () => {
    const ws = new WebSocket(`${gatewayUrl.replace('http', 'ws')}/api/v2/connect`);
    await new Promise((r) => ws.on('open', r));
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    ws.send(JSON.stringify({ type: 'data', stream: 'stdin', data: 'x' }));
    expect(await closed).toBe(4003);
  });
});

describe('analytics end to end', () => {
  it('a run through the gateway reaches ClickHouse via Kafka and the sink, and its statistics answer on the gateway’s address', async () => {
    const { kafka } = realInfra('pipeline-analytics-test');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conveyor-e2e-ch-'));
    const analytics = await startAnalyticsFromNow(kafka, { port: Number(new URL(testEnv.ANALYTICS_URL!).port), clickhouseDataDir: dir, groupPrefix: 'e2e-sink' });
    try {
      const from = Date.now() - 60_000;
      expect((await postJson(`${gatewayUrl}/api/v1/runs`, { language: 'py', code: 'print(6 * 7)' })).json.status).toBe('ok');
      expect((await postJson(`${gatewayUrl}/api/v1/runs`, { language: 'py', code: 'raise SystemExit(3)' })).json.status).toBe('runtime_error');
      const counts = async () => {
        const res = await fetch(`${gatewayUrl}/api/stats/status?groupBy=language&from=${from}&to=${Date.now() + 60_000}`);
        const body = (await res.json()) as { rows: { group: string; status: string; runs: number }[] };
        return Object.fromEntries(body.rows.filter((r) => r.group === 'python').map((r) => [r.status, r.runs]));
      };
      const seen = await waitUntil(counts, (c) => (c.ok ?? 0) >= 1 && (c.runtime_error ?? 0) >= 1, 30_000);
      expect(seen.ok).toBeGreaterThanOrEqual(1);
      // The requests travel on other topics and may be stored a flush later than the results.
      const status = async () => (await (await fetch(`${gatewayUrl}/api/stats/lag`)).json()) as { state: string; insertedRows: Record<string, number>; deadLetters: number };
      const lag = await waitUntil(status, (l) => (l.insertedRows.runs ?? 0) >= 2 && (l.insertedRows.run_requests ?? 0) >= 2, 30_000);
      expect(lag).toMatchObject({ state: 'running', deadLetters: 0 });
    } finally {
      await analytics.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

async function waitUntil<T>(probe: () => Promise<T>, done: (v: T) => boolean, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: T = await probe();
  while (!done(last)) {
    if (Date.now() > end) throw new Error(`timed out; last value ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 250));
    last = await probe();
  }
  return last;
}
