import { Command } from 'commander';
import { ConfigError } from '../../topics/ground/env';
import { infraSettings } from '../infra/settings';
import { down, status, up } from '../infra/stack';
import { createKafka } from '../../topics/kafka';
import { applyTopics, listTopics } from '../../topics/admin';
import { createRegistry } from '../../topics/registry';
import { formatTable } from './table';
import { registerCommands } from './commands';
import { formatPlan, plan } from '../fleet/plan';
import { fleetClient } from '../fleet/client';
import { fleetSettings, operatorSettings } from '../fleet/settings';
import { gatewaySettings } from '../../producers/gateway/settings';
import { createRoutingTable } from '../../stream-processors/routing/partitioner';
import { bar, skewReport } from '../../stream-processors/routing/skew';
import { HARDWARE_CLASSES, ROUTED_PARTITIONS, executorGroupId, requestsTopic, topics } from '../../topics/catalog';
import { groupLag } from '../../consumers/sink/lag';
import { formatSinkStatus, sinkStatus } from '../../consumers/sink/status';

const program = new Command('conveyor').description('Conveyor: compute-on-demand REPL service').showHelpAfterError();
const log = (msg: string) => process.stderr.write(`${msg}\n`);

program
  .command('up')
  .description('start the local infrastructure (Kafka, schema registry, ClickHouse check) and apply topics; a no-op when it already runs')
  .option('--json', 'print what was started as JSON ([{ component, started, ms }]) instead of a table')
  .action(async (o: { json?: boolean }) => {
    const t0 = Date.now();
    const reports = await up(log);
    if (o.json) return console.log(JSON.stringify(reports));
    console.log(formatTable(['component', 'action', 'ms'], reports.map((r) => [r.component, r.started ? 'started' : 'ready', r.ms])));
    console.log(`infrastructure up in ${Date.now() - t0} ms`);
  });

program
  .command('down')
  .description('stop exactly the processes `up` started')
  .action(async () => {
    const stopped = await down();
    console.log(stopped.length ? `stopped: ${stopped.join(', ')}` : 'nothing was running');
  });

program
  .command('status')
  .description('show the local infrastructure and its health')
  .action(async () => {
    const states = await status();
    console.log(formatTable(['component', 'running', 'healthy', 'pid', 'log'], states.map((s) => [s.name, s.running ? 'yes' : 'no', s.healthy ? 'yes' : 'no', s.pid ?? '-', s.log])));
    if (!states.every((s) => s.healthy)) return;
    const inf = infraSettings();
    const admin = createKafka(inf.brokers, 'conveyor-status').admin();
    await admin.connect();
    try {
      const rows: (string | number)[][] = [];
      for (const hw of HARDWARE_CLASSES) {
        const groupId = executorGroupId(hw);
        const { groups } = await admin.describeGroups([groupId]);
        const lag = await groupLag(admin, groupId, [requestsTopic(hw).name, topics.edits.name], true);
        rows.push([groupId, groups[0]?.members.length ?? 0, ...lag.map((l) => l.lag)]);
      }
      console.log(`\n${formatTable(['executor group', 'members', 'requests lag', 'edits lag'], rows)}`);
    } finally {
      await admin.disconnect();
    }
    console.log(`\n${formatSinkStatus(await sinkStatus())}`);
    // The fleets, next to the demand above (the requests lag): `fleet list` has the members.
    try {
      const view = await fleetClient(fleetSettings().url, operatorSettings().token, 3000).fetchList();
      console.log(`\n${formatTable(['fleet', 'desired', 'actual', 'ready', 'min', 'max', 'runs in flight', 'crash loop'], view.classes.map((c) => [c.hardwareClass, c.desired, c.actual, c.ready, c.min, c.max, c.members.reduce((n, m) => n + (m.runsInFlight ?? 0), 0), c.crashLoop ? 'yes' : 'no']))}`);
    } catch (err) {
      console.log(`\nfleet: ${(err as Error).message}`);
    }
  });

const topicsCmd = program.command('topics').description('topics as code: apply and list');
topicsCmd
  .command('apply')
  .description('create or update every declared topic and register its Avro schema (BACKWARD)')
  .action(async () => {
    const s = infraSettings();
    const applied = await applyTopics(createKafka(s.brokers, 'conveyor-cli'), createRegistry({ url: s.registryUrl }));
    console.log(formatTable(['topic', 'action', 'partitions', 'schema id'], applied.map((a) => [a.name, a.action, a.partitions, a.schemaId])));
  });
topicsCmd
  .command('list')
  .description('topics on the broker with partition counts and end offsets')
  .action(async () => {
    const s = infraSettings();
    const rows = await listTopics(createKafka(s.brokers, 'conveyor-cli'));
    console.log(formatTable(['topic', 'partitions', 'end offsets', 'config', 'declared'], rows.map((r) => [r.name, r.partitions, r.endOffsets, r.config, r.declared ? 'yes' : 'no'])));
  });

topicsCmd
  .command('skew')
  .description('how records spread over the dependency-set partition ranges of editor.edits and runs.requests.<class>')
  .option('--topic <name>', 'topic to report', topics.edits.name)
  .action(async (o: { topic: string }) => {
    const s = infraSettings();
    const weights = gatewaySettings().ROUTING_WEIGHTS;
    const table = createRoutingTable(ROUTED_PARTITIONS, weights);
    const admin = createKafka(s.brokers, 'conveyor-cli').admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(o.topic);
    await admin.disconnect();
    const counts = Array.from({ length: ROUTED_PARTITIONS }, (_, p) => {
      const off = offsets.find((x) => x.partition === p);
      return off ? Number(off.high) - Number(off.low) : 0;
    });
    const { rows, total, maxOverMean } = skewReport(table, weights, counts);
    console.log(`${o.topic}: ${total} records over ${ROUTED_PARTITIONS} partitions; hottest partition holds ${maxOverMean.toFixed(2)}x the mean\n`);
    console.log(formatTable(['dependency set', 'partitions', 'weight', 'records', 'share', 'per partition', 'max partition', ''], rows.map((r) => [r.set, r.partitions, r.weight, r.records, `${(r.share * 100).toFixed(1)}%`, Math.round(r.perPartition), r.maxPartition, bar(r.share)])));
  });

topicsCmd
  .command('plan')
  .description('partition counts, fleet sizes per hardware class and dependency-set ranges for a peak, with the arithmetic')
  .requiredOption('--peak-runs-per-s <n>', 'runs per second at the peak', Number)
  .requiredOption('--run-seconds <s>', 'CPU seconds of an average run', Number)
  .requiredOption('--cores-per-machine <n>', 'cores of one machine (one executor per machine)', Number)
  .option('--cores-per-run <n>', 'cores one run uses', Number, 1)
  .option('--shares <class=share,…>', 'share of runs per hardware class', 'x86_64=1')
  .option('--wait-objective-s <s>', 'queue wait objective', Number, 1)
  .option('--quantile <q>', 'share of runs that must meet it', Number, 0.99)
  .option('--headroom <x>', 'partitions per executor of the largest class, at least', Number, 1.25)
  .option('--open-programs <n>', 'open programs at the peak', Number, 400000)
  .option('--json', 'print JSON')
  .action((o: { peakRunsPerS: number; runSeconds: number; coresPerMachine: number; coresPerRun: number; shares: string; waitObjectiveS: number; quantile: number; headroom: number; openPrograms: number; json?: boolean }) => {
    const numbers = { peakRunsPerS: o.peakRunsPerS, runSeconds: o.runSeconds, coresPerMachine: o.coresPerMachine, coresPerRun: o.coresPerRun, waitObjectiveS: o.waitObjectiveS, openPrograms: o.openPrograms, headroom: o.headroom };
    for (const [k, v] of Object.entries(numbers)) if (!(v > 0) || !Number.isFinite(v)) throw Object.assign(new Error(`--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} must be a positive number`), { code: 'invalid_option' });
    if (!(o.quantile > 0 && o.quantile < 1)) throw Object.assign(new Error('--quantile must be between 0 and 1'), { code: 'invalid_option' });
    const shares = Object.fromEntries(o.shares.split(',').map((p) => p.split('=')).map(([k, v]) => [k!.trim(), Number(v)]));
    if (Object.values(shares).some((v) => !(v > 0))) throw Object.assign(new Error('--shares must be class=share with positive shares'), { code: 'invalid_option' });
    const p = plan({ ...numbers, quantile: o.quantile, shares, weights: gatewaySettings().ROUTING_WEIGHTS });
    console.log(o.json ? JSON.stringify(p, null, 2) : formatPlan(p));
  });

registerCommands(program, log);

program.parseAsync(process.argv).then(
  () => process.exit(0),
  (err: unknown) => {
    if (err instanceof ConfigError) log(`conveyor: invalid configuration: ${err.message}`);
    else if (err instanceof Error && 'code' in err) log(`conveyor: ${(err as Error & { code: string }).code}: ${err.message}`);
    else log(`conveyor: ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(1);
  },
);
