import { randomUUID } from 'node:crypto';
import { AssignerProtocol, type Consumer } from 'kafkajs';
import { catalogFromLanguageTable } from '../../producers/gateway/runtime-catalog';
import { createSessionRecovery } from '../../producers/gateway/session-recovery';
import { createSessionStore, type GatewaySession } from '../../producers/gateway/sessions';
import { gatewaySettings } from '../../producers/gateway/settings';
import { readSnapshots } from '../../stream-processors/buffers/snapshot-reader';
import { createRoutingTable, DEFAULT_WEIGHTS } from '../../stream-processors/routing/partitioner';
import { applyTopics } from '../../topics/admin';
import { executorGroupId, executorTopics, type TopicSpec } from '../../topics/catalog';
import { createTypedProducer, decodeValue, type TypedProducer } from '../../topics/codec';
import type { EditEvent, ProgramSnapshot, RunRequest, RunResultRecord } from '../../topics/types';
import { realInfra } from '../support/infra';
import { startExecutor, stopService } from '../support/stack';

/**
 * Routing at a production partition count and partitions growing under a
 * running group, on the real broker, registry and sandbox. Each case has a
 * topic namespace of its own (the executors' EXECUTOR_TOPIC_NAMESPACE), so
 * its partition counts do not touch the users' topics. Sessions are opened
 * and edited through the gateway's own session store and routing table; the
 * executors are real processes.
 */
const { kafka, registry } = realInfra('conveyor-partitions-test');
const catalog = catalogFromLanguageTable();
const services: Awaited<ReturnType<typeof startExecutor>>[] = [];
const consumers: Consumer[] = [];
const namespaces: string[] = [];
const producers: TypedProducer[] = [];

/** A producer that knows the partitions as they are now (a topic created or grown after a producer started is news to it). */
async function freshProducer() {
  const p = await createTypedProducer(kafka, registry);
  producers.push(p);
  return p;
}

const until = async (what: string, ok: () => boolean | Promise<boolean>, ms = 90000) => {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
};

/** The topics of one namespace, the routed ones (edits, snapshots, requests, control) with `partitions` partitions. */
async function namespaceTopics(prefix: string, partitions: number) {
  const ns = namespaces.find((n) => n.startsWith(prefix)) ?? `${prefix}${randomUUID().slice(0, 8)}.`;
  if (!namespaces.includes(ns)) namespaces.push(ns);
  const t = executorTopics('x86_64', ns);
  const routed = [t.edits, t.snapshots, t.requests, t.control].map((s) => ({ ...s, partitions }) as TopicSpec);
  await applyTopics(kafka, registry, [...routed, t.output, t.results, t.dlq]);
  // The controller has leaders at once; the broker serves a partition once it has created its log (thousands take a while).
  const admin = kafka.admin();
  await admin.connect();
  try {
    await until(`the broker to serve the ${partitions} partitions of ${ns}`, async () => {
      for (const spec of routed) {
        const offsets = await admin.fetchTopicOffsets(spec.name).catch(() => []);
        if (offsets.length !== partitions) return false;
      }
      return true;
    }, 180000);
  } finally {
    await admin.disconnect();
  }
  return { ns, t, groupId: executorGroupId('x86_64', ns) };
}

/** Which partitions of `topic` each member of the group holds, by member client id (the executor id). */
async function assignments(groupId: string, t: { edits: TopicSpec; requests: TopicSpec }) {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([groupId]);
    const out = new Map<string, { edits: number[]; requests: number[] }>();
    for (const m of groups[0]?.state === 'Stable' ? groups[0].members : []) {
      const a = AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment ?? {};
      out.set(m.clientId, { edits: a[t.edits.name] ?? [], requests: a[t.requests.name] ?? [] });
    }
    return out;
  } finally {
    await admin.disconnect();
  }
}

/** Every result on the namespace's runs.results from now on. */
async function watchResults(spec: TopicSpec<RunResultRecord>) {
  const seen = new Map<string, RunResultRecord[]>();
  const consumer = kafka.consumer({ groupId: `partitions-test-${randomUUID()}`, maxWaitTimeInMs: 100 });
  consumers.push(consumer);
  await consumer.connect();
  await consumer.subscribe({ topic: spec.name, fromBeginning: true });
  const joined = new Promise<void>((r) => consumer.on(consumer.events.GROUP_JOIN, () => r()));
  await consumer.run({
    eachMessage: async ({ message }) => {
      const d = await decodeValue(registry, message.value, spec);
      if (d.ok) seen.set(d.value.runId, [...(seen.get(d.value.runId) ?? []), d.value]);
    },
  });
  await joined;
  return seen;
}

function request(s: GatewaySession, runId = `r-${randomUUID()}`): RunRequest {
  return {
    runId, sessionId: s.id, userId: s.userId, requestedAtMs: Date.now(), language: s.runtime.language, languageVersion: s.runtime.version,
    dependencySet: s.runtime.dependencySet, hardwareClass: 'x86_64', programVersion: s.version, stdin: '', args: [], compilerFlags: [],
    compileLimits: null, runLimits: null, source: 'rest', replyTo: 'partitions-test', streamOutput: false, interactiveStdin: false,
  };
}

afterAll(async () => {
  for (const c of consumers) await c.disconnect().catch(() => {});
  for (const s of services.reverse()) await stopService(s, 20000);
  for (const p of producers) await p.disconnect().catch(() => {});
  const admin = kafka.admin();
  await admin.connect();
  const mine = (await admin.listTopics()).filter((name) => namespaces.some((ns) => name.startsWith(ns)));
  if (mine.length) await admin.deleteTopics({ topics: mine }).catch(() => {});
  await admin.disconnect();
}, 180000);

describe('routing at a production partition count (512)', () => {
  it('keeps every session\'s edits and runs on one partition, and the executor that runs it is the one that holds its text', async () => {
    const partitions = 512;
    const { ns, t, groupId } = await namespaceTopics('pt512', partitions);
    const routing = createRoutingTable(partitions, DEFAULT_WEIGHTS);
    const sessions = createSessionStore({ routing, settings: gatewaySettings() });
    const ids = ['executor-p512-a', 'executor-p512-b'];
    for (const id of ids) services.push(await startExecutor(id, { EXECUTOR_ID: id, EXECUTOR_TOPIC_NAMESPACE: ns, SNAPSHOT_INTERVAL_MS: '60000' }));
    await until('both executors to hold 512 co-partitioned partitions', async () => {
      const a = await assignments(groupId, t);
      const all = [...a.values()].flatMap((m) => m.requests).sort((x, y) => x - y);
      return a.size === 2 && all.length === partitions && all.every((p, i) => p === i) && [...a.values()].every((m) => m.edits.join() === m.requests.join());
    }, 120000);
    const owners = await assignments(groupId, t);
    const producer = await freshProducer();

    // Sessions of three dependency sets, spread over their ranges of the 512 (C's lies in the first member's half,
    // Python's two in the second's). The edit puts the session's id in its program.
    const results = await watchResults(t.results);
    const opened = Array.from({ length: 40 }, (_, i) => {
      if (i % 4 === 3) return sessions.open('test', catalog.resolve('c', undefined, 'c-gcc12-std'), [{ name: 'main.c', content: '#include <stdio.h>\nint main(){puts("v1");}\n' }]);
      const runtime = catalog.resolve('python', undefined, i % 2 ? 'python-3.11-sci' : 'python-3.11-std');
      return sessions.open('test', runtime, [{ name: 'main.py', content: `print("v1")\n` }]);
    });
    for (const { session: s, event } of opened) {
      const text = [...s.files.values()][0]!;
      const edit = s.runtime.language === 'c'
        ? sessions.edit(s, s.version, [{ offset: text.indexOf('{') + 1, deleteCount: 0, insert: `puts(${JSON.stringify(s.id)});` }])
        : sessions.edit(s, s.version, [{ offset: 0, deleteCount: 0, insert: `print(${JSON.stringify(s.id)})\n` }]);
      if (!edit.ok) throw new Error(edit.reason);
      await producer.send(t.edits, [{ key: s.id, value: event, partition: s.partition }, { key: s.id, value: edit.event, partition: s.partition }]);
    }
    const runs = new Map<string, GatewaySession>();
    for (const { session: s } of opened) {
      const req = request(s);
      runs.set(req.runId, s);
      await producer.send(t.requests, [{ key: s.id, value: req, partition: s.partition }]);
    }
    await until('every run\'s result', () => [...runs.keys()].every((id) => results.has(id)), 120000);

    const used = new Set<number>();
    for (const [runId, s] of runs) {
      const range = routing.rangeOf(s.runtime.dependencySet);
      expect(s.partition).toBe(routing.partitionOf(s.runtime.dependencySet, s.id));
      expect((s.partition - range.start + partitions) % partitions).toBeLessThan(range.size);
      used.add(s.partition);
      const [r] = results.get(runId)!;
      expect(results.get(runId)).toHaveLength(1);
      // The text it ran is the session's own, at the version requested.
      expect(r).toMatchObject({ status: 'ok', programVersion: 2, run: { stdout: `${s.id}\nv1\n` } });
      // The member that ran it owns the session's partition of both editor.edits and runs.requests.
      expect(owners.get(r!.executorId)?.requests).toContain(s.partition);
      expect(owners.get(r!.executorId)?.edits).toContain(s.partition);
    }
    // More partitions than the local default of 24 carry these sessions, and both sets' ranges lie beyond it.
    expect(used.size).toBeGreaterThan(24);
    expect(Math.max(...used)).toBeGreaterThan(255);
    expect(new Set([...runs.keys()].map((id) => results.get(id)![0]!.executorId))).toEqual(new Set(ids));
  }, 300000);
});

describe('partitions growing on a running system', () => {
  it('moves sessions to their new partitions, rebuilds their buffers from programs.snapshots and loses no edit', async () => {
    const { ns, t, groupId } = await namespaceTopics('ptgrow', 8);
    const first = 'executor-grow-a';
    services.push(await startExecutor(first, { EXECUTOR_ID: first, EXECUTOR_TOPIC_NAMESPACE: ns, SNAPSHOT_INTERVAL_MS: '200' }));
    await until('the first executor to hold the 8 partitions', async () => (await assignments(groupId, t)).get(first)?.requests.length === 8, 120000);
    const results = await watchResults(t.results);
    let producer = await freshProducer();
    const run = async (s: GatewaySession) => {
      const req = request(s);
      await producer.send(t.requests, [{ key: s.id, value: req, partition: s.partition }]);
      await until(`the result of ${req.runId}`, () => results.has(req.runId), 120000);
      return results.get(req.runId)!;
    };

    // 12 sessions edited a few times at 8 partitions; each runs once, and every edit is in a snapshot.
    const before = createSessionStore({ routing: createRoutingTable(8, DEFAULT_WEIGHTS), settings: gatewaySettings() });
    const runtime = catalog.resolve('python', undefined, 'python-3.11-std');
    const held: GatewaySession[] = [];
    for (let i = 0; i < 12; i++) {
      const { session: s, event } = before.open('test', runtime, [{ name: 'main.py', content: 'print("line 1")\n' }]);
      const events: EditEvent[] = [event];
      for (let v = 2; v <= 4; v++) {
        const e = before.edit(s, s.version, [{ offset: [...s.files.values()][0]!.length, deleteCount: 0, insert: `print("line ${v}")\n` }]);
        if (!e.ok) throw new Error(e.reason);
        events.push(e.event);
      }
      await producer.send(t.edits, events.map((value) => ({ key: s.id, value, partition: s.partition })));
      held.push(s);
    }
    for (const s of held) expect(await run(s)).toMatchObject([{ status: 'ok', run: { stdout: 'line 1\nline 2\nline 3\nline 4\n' } }]);
    const latest = async (count: number) => {
      const found = new Map<string, ProgramSnapshot>();
      await readSnapshots(kafka, registry, Array.from({ length: count }, (_, p) => p), (snap) => {
        if (snap.version > (found.get(snap.sessionId)?.version ?? 0)) found.set(snap.sessionId, snap);
      }, t.snapshots);
      return found;
    };
    await until('snapshots of every session at version 4', async () => {
      const found = await latest(8);
      return held.every((s) => found.get(s.id)?.version === 4);
    }, 60000);

    // Grow every routed topic to 16 partitions (what `topics apply` does with ROUTED_PARTITIONS=16), and roll the
    // group: a second member joins, the leader sees 16 partitions and the first member loses half of them.
    await namespaceTopics('ptgrow', 16);
    const second = 'executor-grow-b';
    services.push(await startExecutor(second, { EXECUTOR_ID: second, EXECUTOR_TOPIC_NAMESPACE: ns, SNAPSHOT_INTERVAL_MS: '200' }));
    await until('16 partitions over two members', async () => {
      const a = await assignments(groupId, t);
      return a.size === 2 && [...a.values()].reduce((n, m) => n + m.requests.length, 0) === 16;
    }, 120000);
    const owners = await assignments(groupId, t);
    producer = await freshProducer();

    // A gateway started with the new count: it holds no session, rebuilds each from the snapshot changelog
    // (as on resume), and routes it by the 16-partition table.
    const after = createSessionStore({ routing: createRoutingTable(16, DEFAULT_WEIGHTS), settings: gatewaySettings() });
    const recovery = createSessionRecovery(async (ids) => {
      const found = await latest(16);
      return new Map([...found].filter(([id]) => ids.has(id)));
    });
    let moved = 0;
    let answeredBySecond = 0;
    for (const old of held) {
      const snap = await recovery.find(old.id);
      expect(snap).toMatchObject({ version: 4 });
      const { session: s, event } = after.open(snap!.userId, catalog.resolve(snap!.language, undefined, snap!.dependencySet, snap!.hardwareClass), snap!.files, snap!.sessionId, snap!.version);
      if (s.partition !== old.partition) moved++;
      const e = after.edit(s, s.version, [{ offset: [...s.files.values()][0]!.length, deleteCount: 0, insert: 'print("line 5")\n' }]);
      if (!e.ok) throw new Error(e.reason);
      await producer.send(t.edits, [{ key: s.id, value: event, partition: s.partition }, { key: s.id, value: e.event, partition: s.partition }]);
      const [r] = await run(s);
      // Nothing typed before the growth is lost, and the edit typed after it is there.
      expect(r).toMatchObject({ status: 'ok', programVersion: 5, run: { stdout: 'line 1\nline 2\nline 3\nline 4\nline 5\n' } });
      expect(owners.get(r!.executorId)?.requests).toContain(s.partition);
      if (r!.executorId === second) answeredBySecond++;
    }
    expect(moved).toBeGreaterThan(0);
    // The second member held none of these sessions before the growth: what it ran came from their snapshots.
    expect(answeredBySecond).toBeGreaterThan(0);
  }, 400000);
});
