import { barChart, htmlPage, lineChart } from '../../../analytics/forecast/html-page';
import type { SimulationResult } from './run';

/** The simulation's HTML report: the comparison table, goals, and per class demand vs forecast vs each policy's capacity. */
export function simulationHtml(r: SimulationResult): string {
  const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
  const policies = r.policies;
  const sections = [
    {
      title: 'Policies on the same trace',
      text: `${r.trace.days} simulated days after ${r.trace.historyDays} days of history, ${r.trace.classes.join(', ')}, peak ${r.trace.peakRunsPerSecond.toFixed(0)} runs/s, ${(r.trace.totalRuns / 1e6).toFixed(1)} M runs; machines of ${r.options.coresPerMachine} cores, boot delay ${r.options.bootDelaySeconds} s, objective p${Math.round(r.options.waitQuantile * 100)} wait ≤ ${r.options.waitObjectiveSeconds} s. Events: ${r.trace.events.map((e) => `${e.label} at ${new Date(e.minute * 60000).toISOString().slice(0, 16)}`).join('; ') || 'none'}.`,
      table: {
        head: ['policy', 'machine-hours', '× oracle', '× static', 'wait p50 s', 'wait p99 s', 'minutes over objective', 'minutes meeting', 'scale actions'],
        rows: policies.map((p) => [p.policy, p.machineHours.toFixed(0), p.vsOracle.toFixed(3), p.vsStatic.toFixed(3), p.waitP50Seconds.toFixed(3), p.waitP99Seconds.toFixed(3), p.minutesOverObjective, pct(p.shareOfMinutesMeetingObjective), p.scaleActions]),
      },
      charts: [
        { title: 'Machine-hours per policy', config: barChart(policies.map((p) => p.policy), [{ label: 'machine-hours', data: policies.map((p) => Math.round(p.machineHours)) }], 'machine-hours') },
        { title: 'Minutes with p99 wait above the objective', config: barChart(policies.map((p) => p.policy), [{ label: 'minutes', data: policies.map((p) => p.minutesOverObjective) }], 'minutes') },
      ],
    },
    { title: 'Goals', table: { head: ['goal', 'target', 'achieved', 'met'], rows: r.goals.map((g) => [g.name, g.target, g.achieved, g.met ? 'yes' : 'no']) } },
    {
      title: 'Forecast accuracy by horizon (CPU seconds per minute)',
      text: `${r.forecast.fits} fits (${Object.entries(r.forecast.methods).map(([m, n]) => `${m}: ${n}`).join(', ')}); MAPE at 1 h ${pct(r.forecast.mape1h)}, on the weekly-seasonal part (holiday and spike left out) ${pct(r.forecast.mape1hSeasonal)}.`,
      table: { head: ['horizon (min)', 'MAPE', 'under-forecast rate', 'samples'], rows: r.forecast.byHorizon.map((b) => [`${b.fromMinutes}–${b.toMinutes}`, pct(b.mape), pct(b.underRate), b.samples]) },
      charts: [{ title: 'MAPE by horizon', config: barChart(r.forecast.byHorizon.map((b) => `${b.fromMinutes}–${b.toMinutes} min`), [{ label: 'MAPE %', data: r.forecast.byHorizon.map((b) => +(b.mape * 100).toFixed(2)) }, { label: 'under-forecast %', data: r.forecast.byHorizon.map((b) => +(b.underRate * 100).toFixed(1)) }], '%') }],
    },
    ...Object.entries(r.series).map(([cls, s]) => ({
      title: `${cls}: demand, forecast and capacity (cores)`,
      charts: [
        {
          title: `${cls}: busy cores demanded vs forecast vs capacity of each policy`,
          height: 380,
          config: lineChart(s.minute, [{ label: 'demand (busy cores)', data: s.demandCores }, { label: 'forecast', data: s.forecastCores, dashed: true }, ...Object.entries(s.capacityCores).map(([p, d]) => ({ label: p, data: d, stepped: true }))], 'cores'),
        },
      ],
    })),
  ];
  return htmlPage('Conveyor fleet simulation', `generated ${new Date().toISOString()} in ${(r.elapsedMs / 1000).toFixed(1)} s`, sections);
}
