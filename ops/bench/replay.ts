import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Kafka } from 'kafkajs';
import { readRecordedRuns } from '../../stream-processors/replay/recorded-runs';
import { readSession } from '../../stream-processors/replay/session-reader';
import { createRangeReader } from '../../stream-processors/replay/range-reader';
import { ensureReplayTopics, replayTraffic } from '../../stream-processors/replay/traffic-replay';
import { createRoutingTable } from '../../stream-processors/routing/partitioner';
import { applyTopics } from '../../topics/admin';
import { namespaced, ROUTED_PARTITIONS, topics, type TopicSpec } from '../../topics/catalog';
import { createTypedProducer, type TypedProducer } from '../../topics/codec';
import { connectionSettings } from '../../topics/ground/connections';
import { paths } from '../../topics/ground/paths';
import { sleep } from '../../topics/ground/retry';
import { createKafka } from '../../topics/kafka';
import { createRegistry, type Registry } from '../../topics/registry';
import type { EditEvent } from '../../topics/types';
import { gatewaySettings } from '../../producers/gateway/settings';
import { stopService } from '../services/launcher';
import { r1 } from '../load/stats';
import { BASELINE_NAMESPACE, ensureReplayExecutors } from '../replay/runs';
import type { ReportSection } from './section';
import { startBenchServices } from './services';

/**
 * Replay: recorded runs re-executed per second (each twice: baseline and
 * candidate, on a replay executor group), edits per second rebuilt into a
 * session's text, and what one session costs to rebuild as its editor.edits
 * partition grows to the share of a 10 M-edit topic (10 M / 24 partitions ≈
 * 417 k edits: the reader reads one partition, docs/decisions/replay-sessions.md),
 * against what a scan of that partition would cost.
 */
const SET = 'python-3.11-std';

function editEvent(sessionId: string, version: number, text: string, kind: EditEvent['kind'], insert: string): EditEvent {
  return {
    eventId: randomUUID(), sessionId, userId: 'bench-replay', timestampMs: Date.now(), kind, language: 'python', dependencySet: SET, hardwareClass: 'x86_64',
    baseVersion: version - 1, version, files: kind === 'open' ? [{ name: 'main.py', content: text }] : null,
    ops: kind === 'edit' ? [{ file: 'main.py', offset: text.length - insert.length, deleteCount: 0, insert }] : [], textBytes: text.length,
  };
}

/** A session typed with `edits` edits (1-3 characters each, a line break every 20), produced to its partition. */
async function typeSession(producer: TypedProducer, spec: TopicSpec<EditEvent>, sessionId: string, partition: number, edits: number): Promise<string> {
  let text = '';
  const records = [{ key: sessionId, partition, value: editEvent(sessionId, 1, '', 'open', '') }];
  for (let v = 2; v <= edits + 1; v++) {
    const insert = v % 20 === 0 ? '\n' : 'abc'.slice(0, 1 + (v % 3));
    text += insert;
    records.push({ key: sessionId, partition, value: editEvent(sessionId, v, text, 'edit', insert) });
  }
  for (let i = 0; i < records.length; i += 1000) await producer.send(spec, records.slice(i, i + 1000));
  return text;
}

/** Other sessions' edits in one partition until it holds `target` records: close events carrying a typical edit's bytes. */
async function fillPartition(kafka: Kafka, registry: Registry, producer: TypedProducer, spec: TopicSpec<EditEvent>, partition: number, target: number, say: (m: string) => void): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  const count = async () => {
    const o = (await admin.fetchTopicOffsets(spec.name)).find((x) => x.partition === partition)!;
    return Number(o.high) - Number(o.low);
  };
  try {
    let have = await count();
    const value = await registry.encode(spec, { ...editEvent('s-bench-filler', 2, 'x', 'close', ''), ops: [{ file: 'main.py', offset: 0, deleteCount: 0, insert: 'print("a typical edit of a few characters")' }] });
    const t0 = Date.now();
    const start = have;
    while (have < target) {
      const n = Math.min(20000, target - have);
      const messages = Array.from({ length: n }, (_, i) => ({ key: `s-bench-filler-${have + i}`, value, partition }));
      await producer.raw.send({ topic: spec.name, messages });
      have += n;
      if ((have - start) % 100000 < 20000) say(`partition ${partition}: ${have} records`);
    }
    if (have > start) say(`filled partition ${partition} with ${have - start} records in ${Date.now() - t0} ms`);
    return await count();
  } finally {
    await admin.disconnect();
  }
}

export async function benchReplay(opts: { runs?: number; sessionEdits?: number; partitionRecords?: number; onProgress?: (m: string) => void } = {}): Promise<ReportSection> {
  const say = opts.onProgress ?? (() => undefined);
  const infra = connectionSettings();
  const kafka = createKafka(infra.brokers, 'conveyor-bench-replay');
  const registry = createRegistry({ url: infra.registryUrl });
  const routing = createRoutingTable(ROUTED_PARTITIONS, gatewaySettings().ROUTING_WEIGHTS);
  const tables: ReportSection['tables'] = [];

  // 1. Recorded runs: real runs through a gateway and an executor, then re-executed on a replay group.
  const nRuns = opts.runs ?? 40;
  const services = await startBenchServices({ env: { RATE_RUNS_PER_MINUTE: '1000000', RATE_RUNS_BURST: '100000' }, onProgress: (m) => say(`services: ${m}`) });
  const fromMs = Date.now();
  try {
    say(`recording ${nRuns} runs`);
    for (let i = 0; i < nRuns; i += 4) {
      await Promise.all(Array.from({ length: Math.min(4, nRuns - i) }, async (_, k) => {
        const res = await fetch(`${services.url}/api/v1/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ language: 'python', code: `n = ${i + k}\nprint(sum(j * j for j in range(n * 100)))\n` }) });
        if (!res.ok) throw new Error(`recording a run failed: ${res.status} ${await res.text()}`);
      }));
    }
  } finally {
    await services.stop();
  }
  const toMs = Date.now();
  const read = await readRecordedRuns(kafka, registry, { fromMs, toMs, language: 'python' });
  say(`${read.runs.length} recorded runs read in ${read.ms} ms (${read.recordsRead} records)`);
  const targets = [{ namespace: BASELINE_NAMESPACE, hardwareClass: 'x86_64' }];
  await ensureReplayTopics(kafka, registry, targets);
  const started = await ensureReplayExecutors(kafka, targets, path.join(paths().state, 'bench-services'), say);
  try {
    const replayId = `bench-${Date.now()}`;
    const base = { partitionOf: (set: string, id: string) => routing.partitionOf(set, id), baseline: { namespace: BASELINE_NAMESPACE }, candidate: { namespace: BASELINE_NAMESPACE } };
    // Warm-up (not counted): the replay group joins and fills its pools.
    await replayTraffic(kafka, registry, { ...base, replayId: `${replayId}-warm`, runs: read.runs.slice(0, 4) });
    const rows: (string | number)[][] = [];
    for (const inFlight of [1, 4]) {
      const out = await replayTraffic(kafka, registry, { ...base, replayId: `${replayId}-${inFlight}`, runs: read.runs, maxInFlight: inFlight });
      const count = (c: string) => out.diffs.filter((d) => d.classification === c).length;
      const done = out.diffs.length - count('incomplete');
      const s = out.ms / 1000;
      rows.push([inFlight, done, r1(s), r1(done / s), r1((2 * done) / s), count('same'), count('changed'), count('nondeterministic'), count('incomplete')]);
      say(`${inFlight} in flight: ${r1(done / s)} recorded runs/s`);
    }
    tables.push({
      title: 'Recorded runs re-executed (each twice: baseline and candidate) on a replay executor group, same toolchain',
      columns: ['recorded runs in flight', 'runs', 'seconds', 'recorded runs/s', 'executions/s', 'same', 'changed', 'non-deterministic', 'incomplete'],
      rows,
    });
  } finally {
    for (const s of started.reverse()) await stopService(s);
  }

  // 2. Edits rebuilt, and 3. the cost of one session as its partition grows.
  // In a topic of the bench's own (bench.editor.edits, deleted at the end): the filler must not reach the users' editor.edits, the sink or the executors.
  const spec = namespaced(topics.edits, 'bench.');
  await applyTopics(kafka, registry, [spec]);
  const producer = await createTypedProducer(kafka, registry);
  try {
    const probe = (tag: string) => `s-bench-replay-${tag}-${randomUUID().slice(0, 8)}`;
    const big = probe('big');
    const partition = routing.partitionOf(SET, big);
    const nEdits = opts.sessionEdits ?? 5000;
    const bigText = await typeSession(producer, spec, big, partition, nEdits);
    await sleep(1000);
    const t0 = performance.now();
    const s = await readSession(kafka, registry, { sessionId: big, partitions: [partition], withRuns: false, withSnapshot: false, firstWindowMs: 60000, editsTopic: spec });
    const readMs = performance.now() - t0;
    const t1 = performance.now();
    const last = s.history.textAt(s.history.versions.at(-1)!.version);
    const rebuildMs = performance.now() - t1;
    if (last.files[0]?.content !== bigText) throw new Error('the rebuilt session differs from what was typed');
    tables.push({
      title: `Edits rebuilt: one session of ${nEdits} edits read from its partition (of bench.editor.edits, the bench's copy of editor.edits) and replayed to its last text`,
      columns: ['edits', 'read ms (offsets by time, key-filtered)', 'rebuild ms (in memory)', 'edits/s end to end', 'edits/s rebuild alone'],
      rows: [[nEdits + 1, Math.round(readMs), r1(rebuildMs), Math.round((nEdits + 1) / ((readMs + rebuildMs) / 1000)), Math.round((nEdits + 1) / (rebuildMs / 1000))]],
    });

    const full = opts.partitionRecords ?? Math.ceil(10_000_000 / 24);
    const sizes = [Math.min(100_000, Math.round(full / 4)), full];
    const costRows: (string | number)[][] = [];
    for (const size of sizes) {
      const held = await fillPartition(kafka, registry, producer, spec, partition, size, say);
      // The probe types after a pause: the filler is older than the reader's first window, as most of a 30-day log is.
      await sleep(6000);
      // The probe lives in the filled partition: draw ids until one hashes there.
      let sid = probe(String(size));
      while (routing.partitionOf(SET, sid) !== partition) sid = probe(String(size));
      await typeSession(producer, spec, sid, partition, 200);
      const c0 = performance.now();
      const r = await readSession(kafka, registry, { sessionId: sid, partitions: [partition], withRuns: false, withSnapshot: false, firstWindowMs: 5000, editsTopic: spec });
      const ms = performance.now() - c0;
      if (r.history.versions.length !== 201) throw new Error(`probe session rebuilt with ${r.history.versions.length} versions, not 201`);
      costRows.push([held, r.cost.windows, r.cost.recordsRead, r.cost.recordsDecoded, Math.round(ms)]);
      say(`partition of ${held} records: ${r.cost.recordsRead} read, ${Math.round(ms)} ms`);
    }
    // What reading without offsets-for-times would cost: the whole partition.
    const reader = await createRangeReader(kafka, [spec.name]);
    let scan: { records: number; ms: number };
    try {
      const admin = kafka.admin();
      await admin.connect();
      const o = (await admin.fetchTopicOffsets(spec.name)).find((x) => x.partition === partition)!;
      await admin.disconnect();
      const s0 = performance.now();
      const got = await reader.read([{ topic: spec.name, partition, from: Number(o.low), to: Number(o.high) }], () => {}, { keep: () => false, timeoutMs: 600000 });
      scan = { records: got.records, ms: performance.now() - s0 };
    } finally {
      await reader.close();
    }
    const scanRate = scan.records / (scan.ms / 1000);
    tables.push({
      title: 'One session of 200 edits rebuilt as its partition grows (10 M edits over 24 partitions ≈ 417 k per partition; in bench.editor.edits): cost stays the window, not the partition',
      columns: ['records in the partition', 'windows read', 'records read', 'records decoded', 'ms'],
      rows: [...costRows, [`scan of all ${scan.records} (no offsets-for-times)`, 1, scan.records, 0, Math.round(scan.ms)], [`scan of a 10 M topic at that rate`, '-', 10_000_000, 0, Math.round((10_000_000 / scanRate) * 1000)]],
    });
  } finally {
    await producer.raw.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [spec.name] }).catch((err: Error) => say(`could not delete ${spec.name}: ${err.message}`));
    await admin.disconnect();
  }
  return { name: 'replay', tables };
}
