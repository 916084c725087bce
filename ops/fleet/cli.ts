import type { Command } from 'commander';
import { formatTable } from '../cli/table';
import { fleetClient } from './client';
import type { FleetView } from './control';
import { HISTORY_SOURCES, readFleetHistory, type HistorySource } from './history-source';
import { scalerSettings } from './scaler-settings';
import { fleetSettings, operatorSettings } from './settings';

/**
 * `conveyor fleet list|scale|drain|history`: the operators' controls, in the
 * spirit of Compiler Explorer's `ce instances list`, over the fleet service's
 * operator API (the token comes from CONVEYOR_OPERATOR_TOKEN or the state dir).
 */
const age = (ms: number) => (ms < 60000 ? `${Math.round(ms / 1000)}s` : ms < 3600000 ? `${Math.round(ms / 60000)}m` : `${(ms / 3600000).toFixed(1)}h`);

export function formatFleet(view: FleetView, now = Date.now()): string {
  const classes = formatTable(
    ['class', 'desired', 'actual', 'ready', 'min', 'max', 'crash loop'],
    view.classes.map((c) => [c.hardwareClass, c.desired, c.actual, c.ready, c.min, c.max, c.crashLoop ? `${c.crashLoop.exits} exits; next start in ${age(Math.max(0, c.crashLoop.nextStartAtMs - now))}` : '-']),
  );
  const rows = view.classes.flatMap((c) =>
    c.members.map((m) => [
      m.memberId, m.hardwareClass, m.state, age(now - m.startedAtMs), m.runsInFlight ?? '-',
      m.partitions ? (m.partitions.length ? `${m.partitions.length} (${m.partitions[0]}–${m.partitions.at(-1)})` : '0') : '-',
      m.cpuCores === null ? '-' : m.cpuCores.toFixed(2), m.pid ?? '-', m.reason,
    ]),
  );
  const members = rows.length ? formatTable(['member', 'class', 'state', 'age', 'runs', 'partitions', 'cpu', 'pid', 'reason'], rows) : '(no members)';
  return `actuator ${view.actuator}, manager ${view.managerId}\n\n${classes}\n\n${members}`;
}

export function registerFleet(program: Command): void {
  const fleet = program.commands.find((c) => c.name() === 'fleet') ?? program.command('fleet').description('the executor fleets');
  const client = (o: { url?: string }) => fleetClient(o.url ?? fleetSettings().url, operatorSettings().token);
  fleet
    .command('list')
    .description('members per hardware class with state, age, runs in flight, partitions and CPU')
    .option('--url <url>', 'fleet service (default FLEET_HOST:FLEET_PORT)')
    .option('--json', 'print JSON')
    .action(async (o: { url?: string; json?: boolean }) => {
      const view = await client(o).fetchList();
      console.log(o.json ? JSON.stringify(view, null, 2) : formatFleet(view));
    });
  fleet
    .command('scale <class> <n>')
    .description('set the desired executors of a hardware class (within its min and max)')
    .option('--reason <text>', 'why (kept in the history)', 'operator: fleet scale')
    .option('--url <url>', 'fleet service')
    .action(async (hw: string, n: string, o: { reason: string; url?: string }) => {
      if (!/^\d+$/.test(n)) throw Object.assign(new Error(`the size must be a whole number of executors (got ${JSON.stringify(n)})`), { code: 'invalid_size' });
      const c = await client(o).setDesired(hw, Number(n), o.reason);
      console.log(`${c.hardwareClass}: desired ${c.desired} (min ${c.min}, max ${c.max}); ${c.actual} running, ${c.ready} ready`);
    });
  fleet
    .command('drain <member>')
    .description('drain one member: it finishes its runs, commits and leaves; the class is refilled to its desired size')
    .option('--reason <text>', 'why', 'operator: fleet drain')
    .option('--url <url>', 'fleet service')
    .action(async (id: string, o: { reason: string; url?: string }) => {
      const m = await client(o).drain(id, o.reason);
      console.log(`${m.memberId}: ${m.state} (${m.reason})`);
    });
  fleet
    .command('history')
    .description('every change of the fleets, newest first, with time and reason')
    .option('--class <class>', 'one hardware class')
    .option('--limit <n>', 'events', '50')
    .option('--url <url>', 'fleet service')
    .option('--source <where>', `${HISTORY_SOURCES.join(', ')}: ClickHouse fleet_events (all managers, 400 days) through the analytics service, or the manager's memory; auto tries ClickHouse first`, 'auto')
    .option('--json', 'print JSON')
    .action(async (o: { class?: string; limit: string; url?: string; json?: boolean; source: string }) => {
      if (!HISTORY_SOURCES.includes(o.source as HistorySource)) throw Object.assign(new Error(`--source must be one of ${HISTORY_SOURCES.join(', ')}, not "${o.source}"`), { code: 'invalid_source' });
      const limit = Number(o.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw Object.assign(new Error(`--limit must be a whole number from 1 to 1000, not "${o.limit}"`), { code: 'invalid_limit' });
      const scaler = scalerSettings();
      const { events, from, note } = await readFleetHistory({
        source: o.source as HistorySource, query: { hardwareClass: o.class, limit }, analyticsUrl: scaler.analyticsUrl, timeoutMs: 3000,
        manager: (q) => client(o).fetchHistory(q),
      });
      if (o.json) return console.log(JSON.stringify(events, null, 2));
      console.error(`${note ? `${note}\n` : ''}from ${from}`);
      console.log(formatTable(
        ['time', 'class', 'kind', 'member', 'state', 'desired', 'actual', 'actor', 'reason'],
        events.map((e) => [new Date(e.timestampMs).toISOString().replace('T', ' ').slice(0, 23), e.hardwareClass, e.kind, e.memberId ?? '-', e.state ?? '-', e.desired ?? '-', e.actual ?? '-', e.actor, e.reason]),
      ));
    });
}
