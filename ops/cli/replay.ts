import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { infraSettings } from '../infra/settings';
import { gatewaySettings } from '../../producers/gateway/settings';
import { createRoutingTable } from '../../stream-processors/routing/partitioner';
import { candidatePartitions, readSession } from '../../stream-processors/replay/session-reader';
import { ROUTED_PARTITIONS } from '../../topics/catalog';
import { createKafka } from '../../topics/kafka';
import { createRegistry } from '../../topics/registry';
import { ArgumentError, parseFraction, parseMoment, parsePositive, parseVersion } from './replay-args';
import { openWarehouse, type Warehouse } from '../../analytics/warehouse';
import { migrate } from '../../analytics/migrations';
import { operatorSettings } from '../fleet/settings';
import { paths } from '../../topics/ground/paths';
import { formatReport } from '../replay/report';
import { operatorIdentity, replayRuns } from '../replay/runs';
import { rebuildWarehouse, REBUILDABLE } from '../replay/warehouse';
import { EXPORT_FORMATS, exportTopic, type ExportFormat } from '../replay/export';
import type { AnalyticsTable } from '../../analytics/rows';
import type { ReplayProgress } from '../../stream-processors/replay/traffic-replay';
import { formatTable } from './table';

const iso = (ms: number) => new Date(ms).toISOString();

/** Writes a rebuilt session's files under a directory, refusing names that would leave it. */
export function writeFiles(dir: string, files: { name: string; content: string }[]): string[] {
  const root = path.resolve(dir);
  const out: string[] = [];
  for (const f of files) {
    const target = path.resolve(root, f.name);
    if (!target.startsWith(`${root}${path.sep}`)) throw new ArgumentError(`File name "${f.name}" would be written outside ${root}.`);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, f.content);
    out.push(target);
  }
  return out;
}

/** `conveyor replay …`: sessions at any moment (and, registered by their modules, runs, warehouse, export). */
export function registerReplay(program: Command, log: (msg: string) => void): Command {
  const replay = program.command('replay').description('replay the event logs: sessions at any moment, recorded runs against a candidate, the warehouse, exports');

  replay
    .command('session <id>')
    .description('rebuild a session from editor.edits alone at a version or moment; list its versions and the runs made from each')
    .option('--version <n>', 'the text at this version')
    .option('--at <time>', 'the text of the last version at or before this moment (ISO, epoch ms, HH:MM UTC, -15m)')
    .option('--dependency-set <set>', 'the session\'s dependency set, so one partition is read instead of the routing\'s candidates')
    .option('--files-to <dir>', 'write the rebuilt files into this directory')
    .option('--json', 'print one JSON document instead of tables')
    .action(async (id: string, o: { version?: string; at?: string; dependencySet?: string; filesTo?: string; json?: boolean }) => {
      if (o.version !== undefined && o.at !== undefined) throw new ArgumentError('Give --version or --at, not both.');
      const version = o.version !== undefined ? parseVersion(o.version) : undefined;
      const at = o.at !== undefined ? parseMoment(o.at) : undefined;
      const s = infraSettings();
      const routing = createRoutingTable(ROUTED_PARTITIONS, gatewaySettings().ROUTING_WEIGHTS);
      const read = await readSession(createKafka(s.brokers, 'conveyor-replay'), createRegistry({ url: s.registryUrl }), {
        sessionId: id, partitions: candidatePartitions(routing, id, o.dependencySet), untilMs: at,
      });
      const h = read.history;
      const text = version !== undefined ? h.textAt(version) : at !== undefined ? h.textAtTime(at) : h.textAt(h.versions[h.versions.length - 1]!.version);
      const written = o.filesTo ? writeFiles(o.filesTo, text.files) : [];
      if (o.json) {
        console.log(JSON.stringify({
          sessionId: id, partition: read.partition, language: h.language, dependencySet: h.dependencySet, truncated: h.truncated,
          versions: h.versions, runs: read.runs.map(({ request: _r, result: _s, ...run }) => run), text, snapshot: read.snapshot, cost: read.cost,
        }, null, 2));
        return;
      }
      const runsOf = new Map<number, typeof read.runs>();
      for (const r of read.runs) runsOf.set(r.version, [...(runsOf.get(r.version) ?? []), r]);
      console.log(`session ${id}: ${h.language} (${h.dependencySet}, ${h.hardwareClass}), editor.edits partition ${read.partition}, ${h.versions.length} versions${h.truncated ? ' (its start is older than the retained log)' : ''}`);
      console.log(formatTable(['version', 'time', 'runs'], h.versions.map((v) => [v.version, iso(v.timestampMs), (runsOf.get(v.version) ?? []).map((r) => `${r.runId} ${r.status}${r.exitCode !== null ? ` (exit ${r.exitCode})` : ''}`).join(', ')])));
      if (read.runs.length) {
        console.log(`\n${formatTable(['run', 'version', 'requested', 'status', 'exit', 'stdout'], read.runs.map((r) => [r.runId, r.version, iso(r.requestedAtMs), r.status, r.exitCode ?? '-', JSON.stringify((r.result?.run?.stdout ?? '').slice(0, 60))]))}`);
      }
      console.log(`\ntext at version ${text.version} (${iso(text.timestampMs)}):`);
      for (const f of text.files) console.log(`--- ${f.name}\n${f.content}${f.content.endsWith('\n') ? '' : '\n'}`);
      if (written.length) console.log(`wrote ${written.join(', ')}`);
      console.log(read.snapshot
        ? `snapshot check: version ${read.snapshot.version} ${read.snapshot.matches ? 'matches the rebuild' : `DIFFERS in ${read.snapshot.mismatchedFiles.join(', ')}`}`
        : 'snapshot check: no snapshot of this session in programs.snapshots');
      log(`read ${read.cost.recordsRead} records (${read.cost.recordsDecoded} decoded) in ${read.cost.windows} window(s) of ${read.cost.editPartitionsRead} edits partition(s), ${read.cost.ms} ms`);
    });
  replay
    .command('runs')
    .description('re-execute recorded runs on a baseline and a candidate executor group (replay topics only) and diff the outcomes')
    .requiredOption('--from <time>', 'first request time (ISO, epoch ms, HH:MM UTC, -1h)')
    .requiredOption('--to <time>', 'last request time')
    .option('--language <lang>', 'only runs of this language')
    .option('--dependency-set <set>', 'only runs of this dependency set')
    .option('--against <target>', 'hardware class (arm64), group:<name> (an executor group in namespace replay.<name>.) or a toolchain version; the recorded toolchain when absent')
    .option('--rate <n>', 'recorded runs started per second')
    .option('--sample <p>', 'replay this fraction of the runs (chosen by run id, the same ones every time)')
    .option('--budget <n>', 'stop after this many runs')
    .option('--resume <id>', 'continue a cancelled replay')
    .option('--operator <name>', 'who replays (recorded with the operator token\'s fingerprint)')
    .option('--no-start-executors', 'use running replay executor groups instead of starting them')
    .option('--no-warehouse', 'do not write replay_results to ClickHouse')
    .option('--json', 'print the report as JSON')
    .action(async (o: { from: string; to: string; language?: string; dependencySet?: string; against?: string; rate?: string; sample?: string; budget?: string; resume?: string; operator?: string; startExecutors: boolean; warehouse: boolean; json?: boolean }) => {
      const fromMs = parseMoment(o.from);
      const toMs = parseMoment(o.to);
      if (toMs < fromMs) throw new ArgumentError('--to is before --from.');
      const s = infraSettings();
      const kafka = createKafka(s.brokers, 'conveyor-replay');
      const registry = createRegistry({ url: s.registryUrl });
      const routing = createRoutingTable(ROUTED_PARTITIONS, gatewaySettings().ROUTING_WEIGHTS);
      const operator = operatorIdentity(operatorSettings().token.reveal(), o.operator);
      let wh: Warehouse | null = null;
      if (o.warehouse) {
        try {
          wh = await openWarehouse(s.CLICKHOUSE_URL ? { url: s.CLICKHOUSE_URL } : { dataDir: s.clickhouseDataDir });
          await migrate(wh);
        } catch (err) {
          log(`replay_results will not be written: ClickHouse is not available to this process (${(err as Error).message.split('\n')[0]}); the JSON report holds the same rows`);
          wh = null;
        }
      }
      const { signal, release } = cancelOnSigint(log, 'waiting for the runs in flight; resume later with --resume');
      try {
        const { report, files } = await replayRuns(kafka, registry, routing, {
          fromMs, toMs, language: o.language, dependencySet: o.dependencySet, against: o.against,
          ratePerSecond: o.rate ? parsePositive(o.rate, '--rate') : undefined, sample: o.sample ? parseFraction(o.sample, '--sample') : undefined,
          budgetRuns: o.budget ? Math.floor(parsePositive(o.budget, '--budget')) : undefined, resume: o.resume, stateDir: paths().state, operator,
          startExecutors: o.startExecutors, warehouse: wh, signal, onProgress: progressBar(), log,
        });
        process.stderr.write('\n');
        console.log(o.json ? JSON.stringify(report, null, 2) : formatReport(report));
        log(`report: ${files.html} (JSON ${files.json})${wh ? '; rows in ClickHouse replay_results' : ''}`);
      } finally {
        release();
        await wh?.close();
      }
    });
  replay
    .command('warehouse')
    .description('reload ClickHouse tables from the retained topics into fresh tables and swap them in (no count changes; run with the analytics service stopped); Ctrl-C stops it, --resume goes on')
    .option('--from <time>', 'replay the records written from this moment; rows of earlier records are carried over from the current tables (default: the start of the retained log)')
    .option('--tables <list>', `comma-separated, from ${REBUILDABLE.join(', ')}`, REBUILDABLE.join(','))
    .option('--rate <n>', 'read at most this many records per second')
    .option('--resume <job>', 'continue a cancelled rebuild (its tables and moment are the ones it started with)')
    .option('--operator <name>', 'who rebuilds (recorded in replay_jobs with a fingerprint of the operator token)')
    .action(async (o: { from?: string; tables: string; rate?: string; resume?: string; operator?: string }) => {
      const s = infraSettings();
      const tables = o.tables.split(',').map((t) => t.trim()).filter(Boolean) as AnalyticsTable[];
      const ratePerSecond = o.rate ? parsePositive(o.rate, '--rate') : undefined;
      const wh = await openWarehouse(s.CLICKHOUSE_URL ? { url: s.CLICKHOUSE_URL } : { dataDir: s.clickhouseDataDir });
      const { signal, release } = cancelOnSigint(log, 'stopping after the block being inserted');
      try {
        await migrate(wh);
        const r = await rebuildWarehouse(createKafka(s.brokers, 'conveyor-replay'), createRegistry({ url: s.registryUrl }), wh, {
          tables, fromMs: o.from ? parseMoment(o.from) : undefined, onProgress: log, ratePerSecond, resume: o.resume, stateDir: paths().state, signal,
          operator: operatorIdentity(operatorSettings().token.reveal(), o.operator),
        });
        console.log(formatTable(['table', 'from', 'carried over', 'replayed', 'rows before', 'rows after', 'ms'], r.tables.map((t) => [t.table, iso(t.fromMs), t.carried, t.replayed, t.before, t.after, t.ms])));
        log(r.cancelled ? `rebuild ${r.id} cancelled; resume with: conveyor replay warehouse --resume ${r.id}` : `rebuild ${r.id} done (recorded in replay_jobs)`);
      } finally {
        release();
        await wh.close();
      }
    });
  replay
    .command('export')
    .description('write a time range of a topic as Avro object container files (with the writer schema), JSON Lines or Parquet; Ctrl-C stops it, --resume goes on')
    .option('--topic <name>', 'the topic')
    .option('--from <time>', 'first record time')
    .option('--to <time>', 'last record time')
    .option('--format <f>', EXPORT_FORMATS.join('|'), 'avro')
    .option('--out <dir>', 'directory for the files')
    .option('--part-records <n>', 'records per part (one file per writer schema each); bounds memory', '50000')
    .option('--rate <n>', 'read at most this many records per second')
    .option('--resume <job>', 'continue a cancelled export (its topic, range, format and directory are the ones it started with)')
    .option('--operator <name>', 'who exports (recorded in the manifest with a fingerprint of the operator token)')
    .action(async (o: { topic?: string; from?: string; to?: string; format: string; out?: string; partRecords: string; rate?: string; resume?: string; operator?: string }) => {
      if (!o.resume) {
        for (const [flag, v] of [['--topic', o.topic], ['--from', o.from], ['--to', o.to], ['--out', o.out]] as const) if (!v) throw new ArgumentError(`${flag} is required (or --resume <job>).`);
        if (!EXPORT_FORMATS.includes(o.format as ExportFormat)) throw new ArgumentError(`--format must be one of ${EXPORT_FORMATS.join(', ')}.`);
      }
      const s = infraSettings();
      const { signal, release } = cancelOnSigint(log, 'stopping after the part being written');
      try {
        const r = await exportTopic(createKafka(s.brokers, 'conveyor-replay'), createRegistry({ url: s.registryUrl }), {
          topic: o.topic ?? '', fromMs: o.from ? parseMoment(o.from) : 0, toMs: o.to ? parseMoment(o.to) : 0, format: o.format as ExportFormat, outDir: o.out ?? '.',
          partRecords: Math.floor(parsePositive(o.partRecords, '--part-records')), ratePerSecond: o.rate ? parsePositive(o.rate, '--rate') : undefined,
          stateDir: paths().state, signal, onProgress: (n) => log(`${n} records`),
          operator: operatorIdentity(operatorSettings().token.reveal(), o.operator),
        }, o.resume);
        console.log(formatTable(['file', 'records', 'schema id'], r.files.map((f) => [f.file, f.records, f.schemaId ?? '-'])));
        const tail = `${r.records} records${r.skipped ? `, ${r.skipped} not in the Confluent wire format or corrupted skipped` : ''}`;
        log(r.cancelled ? `export ${r.id} cancelled after ${tail}; resume with: conveyor replay export --resume ${r.id}` : `export ${r.id}: ${tail} in ${r.ms} ms; manifest ${r.manifest}`);
      } finally {
        release();
      }
    });
  return replay;
}

/** Ctrl-C aborts the signal (once; a second Ctrl-C is the default: exit). */
export function cancelOnSigint(log: (msg: string) => void, what: string): { signal: AbortSignal; release: () => void } {
  const abort = new AbortController();
  const onSigint = () => {
    log(`\nstopping: ${what}`);
    abort.abort();
  };
  process.once('SIGINT', onSigint);
  return { signal: abort.signal, release: () => process.off('SIGINT', onSigint) };
}

/** A one-line progress bar on stderr (a terminal only). */
export function progressBar(stream: NodeJS.WriteStream = process.stderr): (p: ReplayProgress) => void {
  return (p) => {
    const width = 30;
    const filled = p.total ? Math.round((p.done / p.total) * width) : width;
    const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.done}/${p.total} runs, ${p.changed} changed, ${p.nondeterministic} non-deterministic, ${p.incomplete} incomplete`;
    if (stream.isTTY) stream.write(`\r${line}`);
    else if (p.done === p.total || p.done % 10 === 0) stream.write(`${line}\n`);
  };
}
