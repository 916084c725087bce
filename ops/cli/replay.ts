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
import { ArgumentError, parseMoment, parseVersion } from './replay-args';
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
  return replay;
}
