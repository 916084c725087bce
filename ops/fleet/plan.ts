import { createRoutingTable, DEFAULT_WEIGHTS } from '../../stream-processors/routing/partitioner';
import { serversFor } from '../../analytics/forecast/erlang-c';

/**
 * `conveyor topics plan`: partition counts, fleet sizes per hardware class and
 * dependency-set ranges for a peak, with the arithmetic written out so an
 * operator can check it. Pure; the CLI prints it.
 *
 *   busy cores      a = peak runs/s × run seconds × cores per run     (Little's law)
 *   cores           c = fewest servers with P(wait > objective) ≤ 1 − q (Erlang C, M/M/c)
 *   machines        m = ⌈c / cores per machine⌉ (one executor per machine, concurrency = its cores)
 *   partitions      p = next power of two ≥ headroom × the largest class's executors
 *                       (a consumer group never uses more members than partitions, and
 *                       editor.edits and every runs.requests.<class> share the count)
 */
export interface PlanInput {
  peakRunsPerS: number;
  runSeconds: number;
  coresPerMachine: number;
  coresPerRun: number;
  shares: Record<string, number>;
  waitObjectiveS: number;
  quantile: number;
  headroom: number;
  openPrograms: number;
  weights?: Record<string, number>;
}

export function plan(i: PlanInput) {
  const totalShare = Object.values(i.shares).reduce((a, b) => a + b, 0);
  const classes = Object.entries(i.shares).map(([hw, share]) => {
    const runsPerS = (i.peakRunsPerS * share) / totalShare;
    const busyCores = runsPerS * i.runSeconds * i.coresPerRun;
    const cores = serversFor({ arrivalsPerSecond: runsPerS, serviceSeconds: i.runSeconds }, i.waitObjectiveS, i.quantile) * i.coresPerRun;
    const machines = Math.ceil(cores / i.coresPerMachine);
    return { hardwareClass: hw, runsPerS, busyCores, cores, machines, executors: machines, utilisation: busyCores / (machines * i.coresPerMachine) };
  });
  const largest = Math.max(1, ...classes.map((c) => c.executors));
  const partitions = 2 ** Math.ceil(Math.log2(largest * i.headroom));
  const table = createRoutingTable(partitions, i.weights ?? DEFAULT_WEIGHTS);
  const weights: Record<string, number> = { default: 1, ...(i.weights ?? DEFAULT_WEIGHTS) };
  const weightTotal = Object.values(weights).reduce((a, b) => a + b, 0);
  const ranges = table.ranges.map((r) => ({ ...r, end: r.start + r.size - 1, share: weights[r.set]! / weightTotal, sessionsPerPartition: (i.openPrograms * weights[r.set]!) / weightTotal / r.size }));
  return { input: i, classes, largest, partitions, ranges, totals: { busyCores: classes.reduce((s, c) => s + c.busyCores, 0), cores: classes.reduce((s, c) => s + c.cores, 0), machines: classes.reduce((s, c) => s + c.machines, 0) } };
}
export type Plan = ReturnType<typeof plan>;

const n = (x: number, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

/** The plan as text with the arithmetic shown, class by class. */
export function formatPlan(p: Plan): string {
  const i = p.input;
  const lines = [`Peak ${n(i.peakRunsPerS)} runs/s of ${i.runSeconds} s (${i.coresPerRun} core each); machines of ${i.coresPerMachine} cores; p${Math.round(i.quantile * 100)} queue wait ≤ ${i.waitObjectiveS} s.`, ''];
  for (const c of p.classes) {
    lines.push(
      `${c.hardwareClass} (${n((c.runsPerS / i.peakRunsPerS) * 100, 1)}% of runs):`,
      `  busy cores  a = ${n(c.runsPerS, 1)} runs/s × ${i.runSeconds} s × ${i.coresPerRun} = ${n(c.busyCores)}`,
      `  cores       c = Erlang C servers for P(wait > ${i.waitObjectiveS} s) ≤ ${n(1 - i.quantile, 2)} = ${n(c.cores)} (${n(c.cores - c.busyCores)} above a)`,
      `  machines    m = ⌈${n(c.cores)} / ${i.coresPerMachine}⌉ = ${n(c.machines)} → ${n(c.executors)} executors, ${n(c.utilisation * 100, 1)}% busy at peak`,
    );
  }
  lines.push(
    '',
    `Fleet at peak: ${n(p.totals.machines)} machines, ${n(p.totals.cores)} cores (${n(p.totals.busyCores)} busy).`,
    `Partitions: next power of two ≥ ${i.headroom} × ${n(p.largest)} executors (the largest class) = ${n(p.partitions)}`,
    `  for editor.edits, programs.snapshots and every runs.requests.<class> / runs.control.<class> (co-partitioned): ROUTED_PARTITIONS=${p.partitions}`,
    `  ${n(i.openPrograms)} open programs → ${n(i.openPrograms / p.partitions)} sessions per partition on average`,
    '',
    'Dependency-set ranges (weight share of partitions, largest remainder):',
  );
  const w = Math.max(...p.ranges.map((r) => r.set.length));
  for (const r of p.ranges) lines.push(`  ${r.set.padEnd(w)}  partitions ${String(r.start).padStart(4)}–${String(r.end).padEnd(4)} (${String(r.size).padStart(3)})  ${n(r.share * 100, 1).padStart(5)}% of sessions, ${n(r.sessionsPerPartition)} per partition`);
  return lines.join('\n');
}
