import { randomUUID } from 'node:crypto';
import { EditorClient } from '../../producers/client/editor-client';
import { createRoutingTable, DEFAULT_WEIGHTS } from '../../stream-processors/routing/partitioner';
import { candidatePartitions, readSession } from '../../stream-processors/replay/session-reader';
import { ROUTED_PARTITIONS, topics } from '../../topics/catalog';
import { createTypedProducer } from '../../topics/codec';
import { realInfra } from '../support/infra';
import { gatewayUrl, startExecutor, startGateway, stopService, wsUrl } from '../support/stack';

let services: Awaited<ReturnType<typeof startExecutor>>[] = [];
const { kafka, registry } = realInfra('replay-session-test');
const routing = createRoutingTable(ROUTED_PARTITIONS, DEFAULT_WEIGHTS);

beforeAll(async () => {
  services = [await startExecutor(), await startGateway()];
}, 180000);

afterAll(async () => {
  for (const s of services.reverse()) await stopService(s);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Other sessions' snapshots in one partition of programs.snapshots, more than one fetch of the reader holds. */
async function fillSnapshots(partition: number, bytes: number) {
  const producer = await createTypedProducer(kafka, registry);
  const content = 'x'.repeat(4096);
  const records = Array.from({ length: Math.ceil(bytes / content.length) }, () => {
    const id = `s-filler-${randomUUID()}`;
    return { key: id, partition, value: { sessionId: id, userId: 'filler', language: 'python', dependencySet: 'python-3.11-std', hardwareClass: 'x86_64', version: 1, files: [{ name: 'main.py', content }], updatedAtMs: Date.now() } };
  });
  try {
    for (let i = 0; i < records.length; i += 200) await producer.send(topics.snapshots, records.slice(i, i + 200));
  } finally {
    await producer.raw.disconnect();
  }
}

describe('sessions rebuilt from editor.edits', () => {
  it('rebuilds a session typed with 200 edits exactly at five versions and five moments, with its runs', async () => {
    const c = await EditorClient.connect(wsUrl);
    await c.open('python', '');
    const sessionId = c.sessionId!;
    await fillSnapshots(routing.partitionOf('python-3.11-std', sessionId), 5 * 1024 * 1024);
    const truth = new Map<number, { text: string; atMs: number }>();
    truth.set(c.version, { text: '', atMs: Date.now() });
    // Every prefix of these lines is a valid Python program, so a run at any version succeeds.
    const lines = Array.from({ length: 60 }, (_, i) => `# line ${i}\n`).join('');
    let typed = 0;
    const runsAt: number[] = [];
    // 200 edits: inserts of 1-3 characters, and every 9th edit deletes one character before the cursor.
    let text = '';
    for (let i = 0; i < 200; i++) {
      if (i % 9 === 8 && text.length > 0) {
        expect(await c.edit(text.length - 1, 1, '')).toMatchObject({ type: 'ack' });
        text = text.slice(0, -1);
        typed--;
      } else {
        const piece = lines.slice(typed, typed + 1 + (i % 3));
        expect(await c.edit(text.length, 0, piece)).toMatchObject({ type: 'ack' });
        text += piece;
        typed += piece.length;
      }
      truth.set(c.version, { text, atMs: Date.now() });
      if (i === 99 || i === 199) {
        const { result } = await c.run();
        expect([(result.result as any).status, (result.result as any).run?.stderr]).toEqual(['ok', '']);
        runsAt.push(c.version);
      }
      if (i % 40 === 0) await sleep(15); // spread the edits over time so moments fall between versions
    }
    expect(c.version).toBe(201);
    // Wait until the executors checkpointed the last version (closing drops the buffer).
    const deadline = Date.now() + 60000;
    let checked = await readSession(kafka, registry, { sessionId, partitions: [routing.partitionOf('python-3.11-std', sessionId)], withRuns: false, firstWindowMs: 2000 });
    while (checked.snapshot?.version !== 201 && Date.now() < deadline) {
      await sleep(250);
      checked = await readSession(kafka, registry, { sessionId, partitions: [routing.partitionOf('python-3.11-std', sessionId)], withRuns: false, firstWindowMs: 2000 });
    }
    c.close();

    const partitions = candidatePartitions(routing, sessionId);
    const s = await readSession(kafka, registry, { sessionId, partitions, firstWindowMs: 2000 });
    expect(s.history.versions.map((v) => v.version)).toEqual([...truth.keys()]);
    expect(s.partition).toBe(routing.partitionOf('python-3.11-std', sessionId));
    expect(s.history.truncated).toBe(false);
    // The executors' snapshot is found behind more than one fetch of other sessions' snapshots, and matches.
    expect(s.snapshot).toEqual({ version: 201, matches: true, mismatchedFiles: [] });
    for (const v of [1, 37, 100, 158, 201]) {
      expect(s.history.textAt(v).files).toEqual([{ name: 'main.py', content: truth.get(v)!.text }]);
    }
    // Moments: the text of the last version acknowledged at or before each one.
    const versions = s.history.versions;
    for (const idx of [5, 60, 120, 180, 200]) {
      const mid = versions[idx]!.timestampMs;
      expect(s.history.textAtTime(mid).files[0]!.content).toBe(truth.get(versions[idx]!.version)!.text);
    }
    expect(s.runs.map((r) => [r.version, r.status, r.exitCode])).toEqual(runsAt.map((v) => [v, 'ok', 0]));
    expect(s.runs.map((r) => r.result!.programVersion)).toEqual(runsAt);

    // The gateway serves the same reader to the editor's timeline.
    const hist = await (await fetch(`${gatewayUrl}/api/v1/sessions/${sessionId}/history`)).json();
    expect(hist.sessionId).toBe(sessionId);
    expect(hist.versions).toEqual(versions);
    expect(hist.runs).toEqual(s.runs.map((r) => ({ runId: r.runId, version: r.version, requestedAtMs: r.requestedAtMs, status: 'ok', exitCode: 0 })));
    const t100 = await (await fetch(`${gatewayUrl}/api/v1/sessions/${sessionId}/text?version=100`)).json();
    expect(t100).toEqual({ sessionId, version: 100, files: [{ name: 'main.py', content: truth.get(100)!.text }] });
    const atMs = versions[150]!.timestampMs;
    const tAt = await (await fetch(`${gatewayUrl}/api/v1/sessions/${sessionId}/text?at=${atMs}`)).json();
    expect(tAt.version).toBe(versions[150]!.version);
    expect(tAt.files[0].content).toBe(truth.get(tAt.version)!.text);
  });

  it('reads one partition when the dependency set is known and answers bad requests with stable codes', async () => {
    const c = await EditorClient.connect(wsUrl);
    await c.open('python', 'x = 1\n');
    await c.type('print(x)\n', 3);
    await c.run();
    const sessionId = c.sessionId!;
    c.close();
    const s = await readSession(kafka, registry, { sessionId, partitions: candidatePartitions(routing, sessionId, 'python-3.11-std'), firstWindowMs: 2000, withSnapshot: false });
    expect(s.history.versions.at(-1)!.version).toBe(c.version);
    expect(s.cost.editPartitionsRead).toBe(1);

    const bad = await fetch(`${gatewayUrl}/api/v1/sessions/${sessionId}/text?version=abc`);
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.code).toBe('invalid_query');
    const missing = await fetch(`${gatewayUrl}/api/v1/sessions/${sessionId}/text?version=9999`);
    expect(missing.status).toBe(404);
    expect((await missing.json()).error.code).toBe('version_not_found');
    const unknown = await fetch(`${gatewayUrl}/api/v1/sessions/s-no-such-session/history?dependencySet=python-3.11-std`);
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error.code).toBe('unknown_session');
  });
});
