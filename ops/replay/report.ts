import fs from 'node:fs';
import path from 'node:path';
import { totals, type ReplayTotals, type RunDiff } from '../../stream-processors/replay/run-diff';
import { formatTable } from '../cli/table';

/** A replay's report: the terminal table, the JSON file and the HTML page, from the same diffs. */
export interface ReplayReport {
  replayId: string;
  operator: string;
  startedAtMs: number;
  finishedAtMs: number;
  window: { fromMs: number; toMs: number };
  filters: Record<string, string | number | undefined>;
  against: string;
  cancelled: boolean;
  budgetReached: boolean;
  totals: ReplayTotals;
  runs: RunDiff[];
  skipped: { runId: string; reason: string }[];
}

export function buildReport(meta: Omit<ReplayReport, 'totals'>): ReplayReport {
  return { ...meta, totals: totals(meta.runs) };
}

const ratio = (x: number | null) => (x === null ? '-' : x.toFixed(2));
const yes = (b: boolean) => (b ? 'yes' : '');

export function formatReport(r: ReplayReport): string {
  const t = r.totals;
  const interesting = r.runs.filter((d) => d.classification !== 'same');
  const lines = [
    `replay ${r.replayId} by ${r.operator} against ${r.against}: ${t.runs} runs from ${new Date(r.window.fromMs).toISOString()} to ${new Date(r.window.toMs).toISOString()}${r.cancelled ? ' (cancelled; resume with --resume ' + r.replayId + ')' : ''}${r.budgetReached ? ' (stopped at the budget)' : ''}`,
    formatTable(['same', 'changed', 'nondeterministic', 'incomplete', 'status changed', 'output changed', 'modulo whitespace', 'diagnostics changed', 'cpu ratio p50', 'cpu ratio p99', 'memory ratio p50'],
      [[t.same, t.changed, t.nondeterministic, t.incomplete, t.statusChanged, t.outputChanged, t.outputChangedModuloWhitespace, t.diagnosticsChanged, ratio(t.cpuRatioMedian), ratio(t.cpuRatioP99), ratio(t.memoryRatioMedian)]]),
  ];
  if (interesting.length) {
    lines.push('', formatTable(['run', 'language', 'class', 'status', 'output', 'ws-insensitive', 'diagnostics', 'cpu', 'memory', 'note'],
      interesting.map((d) => [d.runId, d.language, d.classification, d.statusChanged ? `${d.baselineStatus} → ${d.candidateStatus}` : d.candidateStatus, yes(d.outputChanged), yes(d.outputChangedModuloWhitespace), yes(d.diagnosticsChanged), ratio(d.cpuRatio), ratio(d.memoryRatio), d.note])));
  }
  if (r.skipped.length) lines.push('', `${r.skipped.length} recorded runs could not be replayed: ${r.skipped.slice(0, 5).map((s) => `${s.runId} (${s.reason})`).join('; ')}`);
  return lines.join('\n');
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

export function htmlReport(r: ReplayReport): string {
  const t = r.totals;
  const row = (d: RunDiff) => `<tr class="${d.classification}"><td>${esc(d.runId)}</td><td>${esc(d.language)}</td><td>${esc(d.classification)}</td><td>${esc(d.baselineStatus)}</td><td>${esc(d.candidateStatus)}</td><td>${yes(d.outputChanged)}</td><td>${yes(d.outputChangedModuloWhitespace)}</td><td>${yes(d.diagnosticsChanged)}</td><td>${ratio(d.cpuRatio)}</td><td>${ratio(d.memoryRatio)}</td><td>${esc(d.note)}</td></tr>`;
  const order: Record<string, number> = { changed: 0, incomplete: 1, nondeterministic: 2, same: 3 };
  return `<!doctype html><html><head><meta charset="utf-8"><title>Replay ${esc(r.replayId)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}
tr.changed{background:#fdd}tr.nondeterministic{background:#ffd}tr.incomplete{background:#eee}.k{font-size:28px;font-weight:600}</style></head><body>
<h1>Replay ${esc(r.replayId)} against ${esc(r.against)}</h1>
<p>By ${esc(r.operator)}, ${new Date(r.startedAtMs).toISOString()} – ${new Date(r.finishedAtMs).toISOString()}; recorded runs from ${new Date(r.window.fromMs).toISOString()} to ${new Date(r.window.toMs).toISOString()}; filters ${esc(JSON.stringify(r.filters))}${r.cancelled ? '; <b>cancelled</b>' : ''}${r.budgetReached ? '; stopped at the budget' : ''}.</p>
<table><tr><th>runs</th><th>same</th><th>changed (regressions)</th><th>non-deterministic</th><th>incomplete</th><th>status changed</th><th>output changed</th><th>modulo whitespace</th><th>diagnostics changed</th><th>CPU ratio p50 / p99</th><th>memory ratio p50</th></tr>
<tr class="k"><td>${t.runs}</td><td>${t.same}</td><td>${t.changed}</td><td>${t.nondeterministic}</td><td>${t.incomplete}</td><td>${t.statusChanged}</td><td>${t.outputChanged}</td><td>${t.outputChangedModuloWhitespace}</td><td>${t.diagnosticsChanged}</td><td>${ratio(t.cpuRatioMedian)} / ${ratio(t.cpuRatioP99)}</td><td>${ratio(t.memoryRatioMedian)}</td></tr></table>
<h2>Runs</h2><table><tr><th>run</th><th>language</th><th>class</th><th>recorded</th><th>candidate</th><th>output</th><th>modulo ws</th><th>diagnostics</th><th>CPU</th><th>memory</th><th>note</th></tr>
${[...r.runs].sort((a, b) => order[a.classification]! - order[b.classification]!).map(row).join('\n')}</table></body></html>`;
}

/** Writes report.json and report.html into a directory; returns their paths. */
export function writeReport(dir: string, r: ReplayReport): { json: string; html: string } {
  fs.mkdirSync(dir, { recursive: true });
  const json = path.join(dir, 'report.json');
  const html = path.join(dir, 'report.html');
  fs.writeFileSync(json, JSON.stringify(r, null, 2));
  fs.writeFileSync(html, htmlReport(r));
  return { json, html };
}

/** Rows of the replay_results table. */
export function replayRows(r: ReplayReport) {
  return r.runs.map((d) => ({
    replay_id: r.replayId, operator: r.operator, started_at: r.startedAtMs, against: r.against, run_id: d.runId, session_id: d.sessionId,
    language: d.language, dependency_set: d.dependencySet, program_version: d.programVersion, classification: d.classification,
    status_changed: d.statusChanged ? 1 : 0, output_changed: d.outputChanged ? 1 : 0, output_changed_ws: d.outputChangedModuloWhitespace ? 1 : 0,
    diagnostics_changed: d.diagnosticsChanged ? 1 : 0, baseline_status: d.baselineStatus, candidate_status: d.candidateStatus,
    cpu_ratio: d.cpuRatio, memory_ratio: d.memoryRatio, note: d.note,
  }));
}
