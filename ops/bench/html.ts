import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../topics/ground/paths';
import { quantile, r1 } from '../load/stats';
import type { BenchReport } from './suite';
import type { ChartSpec, ReportSection } from './section';

/**
 * The HTML report: one self-contained file (Chart.js inlined from
 * node_modules) with every section's tables, its own charts, a p50/p99 chart
 * and a cumulative distribution of its latency samples, and throughput bars
 * for tables that carry a per-second column.
 */
const esc = (s: unknown) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

interface Drawn { id: string; config: unknown; height: number }

const PALETTE = ['#3b7dd8', '#e4572e', '#29a35a', '#f2a541', '#8e5bd0', '#17a2b8', '#d63384', '#6c757d', '#a0522d', '#20c997', '#343a40', '#ffc107'];
const colour = (i: number) => PALETTE[i % PALETTE.length]!;

function cdf(samples: number[]): { x: number; y: number }[] {
  const s = [...samples].sort((a, b) => a - b);
  const pts: { x: number; y: number }[] = [];
  const steps = Math.min(100, s.length);
  for (let i = 1; i <= steps; i++) {
    const p = i / steps;
    pts.push({ x: r1(Math.max(0.1, quantile(s, p))), y: r1(p * 100) });
  }
  return [{ x: r1(Math.max(0.1, s[0]!)), y: 0 }, ...pts];
}

function chartsFor(section: ReportSection, n: { i: number }): Drawn[] {
  const out: Drawn[] = [];
  const id = () => `c${n.i++}`;
  const own = (c: ChartSpec): Drawn => ({
    id: id(),
    height: 320,
    config: {
      type: c.kind,
      data: { labels: c.labels, datasets: c.datasets.map((d, i) => ({ label: d.label, data: d.data, backgroundColor: colour(i), borderColor: colour(i), borderWidth: c.kind === 'line' ? 2 : 1, pointRadius: c.kind === 'line' ? 1 : undefined })) },
      options: { plugins: { title: { display: true, text: c.title } }, scales: { x: { stacked: !!c.stacked, title: { display: !!c.xTitle, text: c.xTitle } }, y: { stacked: !!c.stacked, beginAtZero: true, title: { display: !!c.yTitle, text: c.yTitle } } } },
    },
  });
  for (const c of section.charts ?? []) out.push(own(c));
  // Throughput bars for sections that did not draw their own.
  if (!section.charts?.length) {
    for (const t of section.tables) {
      const col = t.columns.findIndex((c) => /\/s$/.test(c));
      if (col < 0 || !t.rows.length) continue;
      out.push(own({ title: t.title, kind: 'bar', labels: t.rows.map((r) => String(r[0])), datasets: [{ label: t.columns[col]!, data: t.rows.map((r) => Number(r[col]) || 0) }], yTitle: t.columns[col] }));
    }
  }
  const entries = Object.entries(section.samples ?? {}).filter(([, xs]) => xs.length > 0);
  if (entries.length) {
    const sorted = entries.map(([k, xs]) => [k, [...xs].sort((a, b) => a - b)] as const);
    out.push({
      id: id(),
      height: Math.max(220, 60 + entries.length * 34),
      config: {
        type: 'bar',
        data: {
          labels: sorted.map(([k]) => k),
          datasets: [
            { label: 'median', backgroundColor: colour(0), data: sorted.map(([, s]) => r1(Math.max(0.1, quantile(s, 0.5)))) },
            { label: 'p99', backgroundColor: colour(1), data: sorted.map(([, s]) => r1(Math.max(0.1, quantile(s, 0.99)))) },
          ],
        },
        options: { indexAxis: 'y', plugins: { title: { display: true, text: `${section.name}: latency median and p99 (ms, log scale)` } }, scales: { x: { type: 'logarithmic', title: { display: true, text: 'ms' } } } },
      },
    });
    const forCdf = entries.length <= 12 ? entries : entries.filter(([k]) => /engine|WebSocket|sessions/.test(k)).slice(0, 12);
    if (forCdf.length) {
      out.push({
        id: id(),
        height: 380,
        config: {
          type: 'line',
          data: { datasets: forCdf.map(([k, xs], i) => ({ label: k, data: cdf(xs), borderColor: colour(i), backgroundColor: colour(i), borderWidth: 2, pointRadius: 0, stepped: true })) },
          options: {
            parsing: true,
            plugins: { title: { display: true, text: `${section.name}: latency distribution (share of samples at or below, log scale)` } },
            scales: { x: { type: 'logarithmic', title: { display: true, text: 'ms' } }, y: { min: 0, max: 100, title: { display: true, text: '% of samples' } } },
          },
        },
      });
    }
  }
  return out;
}

function table(t: ReportSection['tables'][number]): string {
  const numeric = t.columns.map((_, i) => t.rows.length > 0 && t.rows.every((r) => typeof r[i] === 'number' || r[i] === ''));
  const cell = (v: unknown, i: number, tag: string) => `<${tag}${numeric[i] ? ' class="n"' : ''}>${esc(v ?? '')}</${tag}>`;
  return `<h3>${esc(t.title)}</h3><table><thead><tr>${t.columns.map((c, i) => cell(c, i, 'th')).join('')}</tr></thead><tbody>${t.rows
    .map((r) => `<tr>${t.columns.map((_, i) => cell(r[i], i, 'td')).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

export function renderHtml(report: BenchReport): string {
  const chartJs = fs.readFileSync(path.join(repoRoot, 'node_modules', 'chart.js', 'dist', 'chart.umd.min.js'), 'utf8');
  const counter = { i: 0 };
  const drawn: Drawn[] = [];
  const body = report.sections
    .map((s) => {
      if (s.error) return `<section><h2>${esc(s.name)}</h2><p class="err">Not measured: ${esc(s.error)}</p></section>`;
      const charts = chartsFor(s, counter);
      drawn.push(...charts);
      return `<section><h2>${esc(s.name)}${s.seconds ? ` <small>(${Math.round(s.seconds)} s)</small>` : ''}</h2>${s.tables.map(table).join('')}<div class="charts">${charts
        .map((c) => `<div class="chart" style="height:${c.height}px"><canvas id="${c.id}"></canvas></div>`)
        .join('')}</div></section>`;
    })
    .join('\n');
  const m = report.meta;
  const data = JSON.stringify(drawn.map((d) => ({ id: d.id, config: d.config }))).replace(/</g, '\\u003c');
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>Conveyor benchmark ${esc(m.commit.slice(0, 10))}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1320px;color:#1d2330;padding:0 16px}
h1{margin:0 0 4px}h2{margin-top:36px;border-bottom:2px solid #d0d6e2;padding-bottom:4px;text-transform:capitalize}h3{font-size:14px;margin:18px 0 6px;color:#394257}
.meta{color:#5a6478}table{border-collapse:collapse;margin:4px 0 10px;font-variant-numeric:tabular-nums}
th,td{border:1px solid #d9dee8;padding:3px 8px;text-align:left;vertical-align:top}th{background:#f1f4f9}td.n,th.n{text-align:right}
.charts{display:grid;grid-template-columns:1fr 1fr;gap:18px;margin-top:12px}.chart{position:relative;min-width:0}
.err{color:#a4262c}small{color:#5a6478;font-weight:normal}
</style></head><body>
<h1>Conveyor benchmark</h1>
<div class="meta">commit <b>${esc(m.commit)}</b>${m.dirty ? ' (uncommitted changes)' : ''} · ${esc(m.timestamp)} · ${esc(m.host)} · ${m.cpus} × ${esc(m.cpuModel)} · ${m.memoryGiB} GiB · node ${esc(m.node)} · ${Math.round(m.seconds)} s · sections: ${esc(m.sections.join(', '))}</div>
<p class="meta">Ratios divide Conveyor's latency by the bare cold start of the same hello world measured in the same run on the same machine. ${esc(m.note ?? '')}</p>
${body}
<script>${chartJs}</script>
<script>
Chart.defaults.animation = false;
Chart.defaults.maintainAspectRatio = false;
for (const c of ${data}) new Chart(document.getElementById(c.id), c.config);
</script>
</body></html>`;
}
