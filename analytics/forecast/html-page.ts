import fs from 'node:fs';
import path from 'node:path';

/**
 * One self-contained HTML page with tables and Chart.js charts (the library
 * inlined from node_modules, so the file opens anywhere without a network),
 * shared by the fleet simulation and the ops scaling report.
 */
export interface PageChart { title: string; config: unknown; height?: number }
export interface PageSection { title: string; text?: string; table?: { head: string[]; rows: (string | number)[][] }; charts?: PageChart[] }

const esc = (s: unknown) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
export const PALETTE = ['#3b7dd8', '#e4572e', '#29a35a', '#f2a541', '#8e5bd0', '#17a2b8', '#d63384', '#6c757d'];

export function htmlPage(title: string, subtitle: string, sections: PageSection[]): string {
  const chartJs = fs.readFileSync(path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.min.js'), 'utf8');
  const charts: { id: string; config: unknown }[] = [];
  const body = sections
    .map((s) => {
      const table = s.table
        ? `<table><thead><tr>${s.table.head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${s.table.rows
            .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
            .join('')}</tbody></table>`
        : '';
      const cs = (s.charts ?? [])
        .map((c) => {
          const id = `chart${charts.length}`;
          charts.push({ id, config: c.config });
          return `<figure><figcaption>${esc(c.title)}</figcaption><div style="height:${c.height ?? 320}px"><canvas id="${id}" data-chart="${esc(c.title)}"></canvas></div></figure>`;
        })
        .join('');
      return `<section><h2>${esc(s.title)}</h2>${s.text ? `<p>${esc(s.text)}</p>` : ''}${table}${cs}</section>`;
    })
    .join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font:14px system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid #ccc;padding:4px 8px;text-align:right}th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}figure{margin:16px 0}figcaption{font-weight:600;margin-bottom:4px}</style>
</head><body><h1>${esc(title)}</h1><p>${esc(subtitle)}</p>
${body}
<script>${chartJs}</script>
<script>
window.renderedCharts = 0;
for (const c of ${JSON.stringify(charts).replace(/</g, '\\u003c')}) {
  const cfg = c.config; cfg.options = Object.assign({ animation: false, responsive: true, maintainAspectRatio: false }, cfg.options || {});
  new Chart(document.getElementById(c.id), cfg); window.renderedCharts++;
}
</script></body></html>`;
}

/** A line chart over epoch-minute x values, labelled as UTC times. */
export function lineChart(minutes: number[], datasets: { label: string; data: (number | null)[]; dashed?: boolean; stepped?: boolean }[], yTitle: string): unknown {
  return {
    type: 'line',
    data: {
      labels: minutes.map((m) => new Date(m * 60000).toISOString().slice(5, 16).replace('T', ' ')),
      datasets: datasets.map((d, i) => ({ label: d.label, data: d.data, borderColor: PALETTE[i % PALETTE.length], backgroundColor: PALETTE[i % PALETTE.length], borderWidth: 1.5, pointRadius: 0, borderDash: d.dashed ? [4, 3] : undefined, stepped: d.stepped ? 'before' : undefined, spanGaps: true })),
    },
    options: { interaction: { mode: 'index', intersect: false }, scales: { x: { ticks: { maxTicksLimit: 14 } }, y: { title: { display: true, text: yTitle }, beginAtZero: true } } },
  };
}

export function barChart(labels: string[], datasets: { label: string; data: number[] }[], yTitle: string): unknown {
  return {
    type: 'bar',
    data: { labels, datasets: datasets.map((d, i) => ({ label: d.label, data: d.data, backgroundColor: PALETTE[i % PALETTE.length] })) },
    options: { scales: { y: { title: { display: true, text: yTitle }, beginAtZero: true } } },
  };
}
