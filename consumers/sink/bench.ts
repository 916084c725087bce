import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import avro from 'avsc';
import { commitGroupOffsets, endOffsets } from './offsets';
import { createSink } from './sink';
import { applyTopics } from '../../topics/admin';
import { paths } from '../../topics/ground/paths';
import { connectionSettings } from '../../topics/ground/connections';
import { loadSchema, topics } from '../../topics/catalog';
import { createKafka } from '../../topics/kafka';
import { createRegistry } from '../../topics/registry';
import type { RunResultRecord } from '../../topics/types';
import { generateRuns } from '../../analytics/generate';
import { migrate } from '../../analytics/migrations';
import { cacheHitRatio, latencyPercentiles, queueWait, statusBreakdown, summary, usageSeries } from '../../analytics/queries';
import { openWarehouse, type Warehouse } from '../../analytics/warehouse';
import { sleep } from '../../topics/ground/retry';

export interface BenchSection {
  name: string;
  tables: { title: string; columns: string[]; rows: (string | number)[][] }[];
  samples?: Record<string, number[]>;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const r1 = (n: number) => Math.round(n * 10) / 10;

function result(i: number, at: number): RunResultRecord {
  const stage = { status: 'ok' as const, stdout: 'ok\n', stderr: '', exitCode: 0, signal: null, wallMs: 40 + (i % 300), cpuMs: 30 + (i % 250), peakMemoryBytes: 12 << 20, stdoutTruncated: false, stderrTruncated: false };
  return {
    runId: `bench-${at}-${i}`, sessionId: `s-${i % 5000}`, userId: `u-${i % 3000}`, replyTo: 'gw', source: 'load',
    language: 'python', languageVersion: '3.11', dependencySet: i % 3 ? 'python-3.11-std' : 'python-3.11-sci', hardwareClass: i % 4 ? 'x86_64' : 'arm64',
    programVersion: 1, status: 'ok', message: null, requestedAtMs: at + (i % 1000), startedAtMs: at + (i % 1000) + 12, finishedAtMs: at + (i % 1000) + 400,
    compile: null, run: stage, cacheHit: false, pooled: true, sourceBytes: 300, fileCount: 1, executorId: 'e', attempt: 1, outputChunks: 1,
  };
}

/** The tables one load of run results writes (the raw table, the sink's marks, the views' targets). */
const SINK_TABLES = ['runs', 'sink_offsets', 'usage_per_minute', 'usage_per_hour', 'status_per_minute', 'activity_per_minute', 'activity_per_hour'];

/**
 * Sink throughput: N run results on a bench topic, drained by a fresh group
 * into ClickHouse twice: by the fast path (ClickHouse reads the Avro bytes)
 * and, as the baseline in the same run, by the decoding path (JavaScript
 * decodes each record and inserts JSON rows: what a ClickHouse server gets).
 */
async function benchSink(wh: Warehouse, rows: number, log: (m: string) => void) {
  const infra = connectionSettings();
  const kafka = createKafka(infra.brokers, 'analytics-bench');
  const registry = createRegistry({ url: infra.registryUrl });
  // A topic of its own: the synthetic results must never reach a running service's warehouse.
  const benchTopic = { ...topics.results, name: 'bench.runs.results', config: { ...topics.results.config, 'retention.ms': String(3600 * 1000) } };
  await applyTopics(kafka, registry, [benchTopic]);
  const start = await endOffsets(kafka, [benchTopic.name]);
  const producer = kafka.producer();
  await producer.connect();
  const at = Date.now();
  const t0 = performance.now();
  // The registry encodes one record for its 5-byte prefix; avsc encodes the bodies (the registry client is ~8x slower per record).
  const prefix = (await registry.encode(benchTopic, result(0, at))).subarray(0, 5);
  const type = avro.Type.forSchema(loadSchema(benchTopic) as avro.Schema);
  for (let i = 0; i < rows; i += 20_000) {
    const messages = [];
    for (let j = i; j < Math.min(rows, i + 20_000); j++) messages.push({ key: `bench-${j}`, value: Buffer.concat([prefix, type.toBuffer(result(j, at))]) });
    await producer.send({ topic: benchTopic.name, messages, acks: 1 });
    if ((i / 20_000) % 10 === 0) log(`produced ${i + messages.length}/${rows}`);
  }
  const produceMs = performance.now() - t0;
  await producer.disconnect();

  async function drain(path: 'avro files' | 'decoded rows') {
    for (const t of SINK_TABLES) await wh.command(`TRUNCATE TABLE ${t}`);
    const group = `analytics-bench-${randomUUID()}`;
    await commitGroupOffsets(kafka, group, start);
    const s0 = performance.now();
    let insertMs = 0;
    const timeIt = async (what: string, n: number, write: () => Promise<void>) => {
      const t = performance.now();
      await write();
      insertMs += performance.now() - t;
      if (process.env.BENCH_VERBOSE) log(`${path}: ${what} ${n}: ${(performance.now() - t).toFixed(0)} ms (t=${((t - s0) / 1000).toFixed(2)} s)`);
    };
    const timed: Warehouse = {
      ...wh,
      query: wh.query.bind(wh),
      command: wh.command.bind(wh),
      insert: (table, r, o) => timeIt(`insert rows into ${table}`, r.length, () => wh.insert(table, r, o)),
      insertFiles:
        path === 'avro files' && wh.insertFiles
          ? (sql, params, files, o) => timeIt('load Avro bytes', files.reduce((a, f) => a + f.length, 0), () => wh.insertFiles!(sql, params, files, o))
          : undefined,
    };
    const sink = createSink({ kafka, registry, warehouse: timed, groupId: group, topics: [benchTopic.name], flushRows: 200_000, flushMs: 1000, concurrency: 6 });
    await sink.start();
    let first = 0;
    let firstRows = 0;
    for (;;) {
      const inserted = sink.status().insertedRows.runs ?? 0;
      if (inserted > 0 && !first) (first = performance.now()), (firstRows = inserted);
      if (inserted >= rows) break;
      await sleep(20);
    }
    const s1 = performance.now();
    await sink.stop();
    const loaded = await countRuns(wh);
    log(`${path}: loaded ${loaded} rows in ${((s1 - s0) / 1000).toFixed(2)} s`);
    return {
      loaded,
      totalS: (s1 - s0) / 1000,
      steady: first && s1 > first ? (rows - firstRows) / ((s1 - first) / 1000) : NaN,
      insertBound: loaded / (insertMs / 1000),
      insertS: insertMs / 1000,
    };
  }
  const fast = await drain('avro files');
  const base = await drain('decoded rows');
  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
  return {
    title: `Sink: ${rows.toLocaleString('en')} run results from Kafka into ClickHouse (chdb); baseline: the decoding path in the same run`,
    columns: ['measure', 'Avro to ClickHouse', 'decoded in JS (baseline)', 'ratio'],
    rows: [
      ['rows in table after drain', fast.loaded, base.loaded, ''],
      ['end to end incl. group join (s)', r1(fast.totalS), r1(base.totalS), ''],
      ['sink throughput incl. group join (rows/s)', Math.round(rows / fast.totalS), Math.round(rows / base.totalS), ratio(base.totalS, fast.totalS)],
      ['sink throughput after the first flush (rows/s)', Math.round(fast.steady), Math.round(base.steady), ratio(fast.steady, base.steady)],
      ['time inside ClickHouse inserts (s)', r1(fast.insertS), r1(base.insertS), ''],
      ['insert-bound rate: rows / insert time (rows/s)', Math.round(fast.insertBound), Math.round(base.insertBound), ratio(fast.insertBound, base.insertBound)],
      ['produce rate for the test data (rows/s, acks=1)', Math.round(rows / (produceMs / 1000)), '', ''],
    ] as (string | number)[][],
  };
}

async function countRuns(wh: Warehouse): Promise<number> {
  const [r] = await wh.query<{ n: string }>('SELECT count() AS n FROM runs');
  return Number(r!.n);
}

/** Dashboard queries over generated runs: p50/p95 of repeated runs of each. */
async function benchQueries(wh: Warehouse, rows: number, log: (m: string) => void) {
  const end = Date.now();
  const span = 7 * 86400_000;
  const g0 = performance.now();
  await generateRuns(wh, { rows, endMs: end, spanMs: span, firstId: 1e12, onProgress: (d) => log(`generated ${d.toLocaleString('en')}/${rows.toLocaleString('en')} runs (${((performance.now() - g0) / 1000).toFixed(0)} s)`) });
  await wh.command('OPTIMIZE TABLE usage_per_minute FINAL');
  const day = { fromMs: end - 86400_000, toMs: end };
  const week = { fromMs: end - span, toMs: end };
  const f = {};
  const queries: [string, () => Promise<unknown>][] = [
    ['summary (hour/day/week)', () => summary(wh, end)],
    ['series runs by hardware class, 24 h / 15 min', () => usageSeries(wh, { metric: 'runs', groupBy: 'hardware_class', step: '15m', range: day, filters: f })],
    ['series CPU cores by dependency set, 7 d / 1 h', () => usageSeries(wh, { metric: 'cpu_cores', groupBy: 'dependency_set', step: '1h', range: week, filters: f })],
    ['series latency p95, 24 h / 15 min', () => usageSeries(wh, { metric: 'latency_p95', groupBy: 'none', step: '15m', range: day, filters: f })],
    ['series queue wait p95 by hw class, 7 d / 1 h', () => usageSeries(wh, { metric: 'queue_wait_p95', groupBy: 'hardware_class', step: '1h', range: week, filters: f })],
    ['latency percentiles by dependency set, 7 d', () => latencyPercentiles(wh, { groupBy: 'dependency_set', range: week, filters: f })],
    ['status breakdown, 24 h', () => statusBreakdown(wh, { groupBy: 'none', range: day, filters: f })],
    ['status breakdown by language, 7 d', () => statusBreakdown(wh, { groupBy: 'language', range: week, filters: f })],
    ['cache hit ratio by hw class, 24 h', () => cacheHitRatio(wh, { groupBy: 'hardware_class', range: day, filters: f })],
    ['queue wait by hw class, 24 h', () => queueWait(wh, { groupBy: 'hardware_class', range: day, filters: f })],
  ];
  const samples: Record<string, number[]> = {};
  const table: (string | number)[][] = [];
  for (const [name, q] of queries) {
    await q();
    const ts: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      await q();
      ts.push(performance.now() - t);
    }
    samples[name] = ts;
    table.push([name, r1(pct(ts, 50)), r1(pct(ts, 95)), pct(ts, 95) < 150 ? 'yes' : 'NO']);
    log(`${name}: p50 ${r1(pct(ts, 50))} ms, p95 ${r1(pct(ts, 95))} ms`);
  }
  const total = await countRuns(wh);
  return {
    table: { title: `Dashboard queries over ${total.toLocaleString('en')} runs (7 days), 20 runs each`, columns: ['query', 'p50 ms', 'p95 ms', '< 150 ms'], rows: table },
    samples,
  };
}

export async function benchAnalytics(opts: { rows?: number; sinkRows?: number; onProgress?: (msg: string) => void } = {}): Promise<BenchSection> {
  const log = opts.onProgress ?? (() => {});
  const dir = path.join(paths().state, 'bench', `analytics-${process.pid}-${Date.now()}`);
  fs.mkdirSync(dir, { recursive: true });
  const wh = await openWarehouse({ dataDir: dir });
  try {
    await migrate(wh);
    const sink = await benchSink(wh, opts.sinkRows ?? 1_000_000, log);
    const q = await benchQueries(wh, opts.rows ?? 10_000_000, log);
    return { name: 'analytics', tables: [sink, q.table], samples: q.samples };
  } finally {
    await wh.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const rows = Number(process.env.BENCH_ROWS ?? 10_000_000);
  benchAnalytics({ rows, sinkRows: Number(process.env.BENCH_SINK_ROWS ?? 1_000_000), onProgress: (m) => process.stderr.write(`analytics bench: ${m}\n`) }).then(
    (section) => {
      for (const t of section.tables) {
        process.stdout.write(`\n${t.title}\n${t.columns.join(' | ')}\n`);
        for (const r of t.rows) process.stdout.write(`${r.join(' | ')}\n`);
      }
      process.exit(0);
    },
    (err: Error) => {
      process.stderr.write(`analytics bench failed: ${err.stack ?? err.message}\n`);
      process.exit(1);
    },
  );
}
