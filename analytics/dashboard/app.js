/* global Chart */
'use strict';
// The dashboard reads /api/stats/* and draws with Chart.js (served from node_modules).
(function () {
  const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#65a30d', '#475569', '#ea580c'];
  const STATUS_COLORS = { ok: '#16a34a', compile_error: '#d97706', runtime_error: '#dc2626', time_limit: '#7c3aed', memory_limit: '#db2777', output_limit: '#0891b2', internal_error: '#475569', cancelled: '#94a3b8' };
  const form = document.getElementById('controls');
  const charts = {};
  window.conveyorCharts = charts;
  let timer = null;
  let refreshes = 0;

  function stepFor(rangeMs) {
    if (rangeMs <= 3600000) return '1m';
    if (rangeMs <= 21600000) return '5m';
    if (rangeMs <= 86400000) return '15m';
    return '1h';
  }
  function fmtTime(ms, rangeMs) {
    const d = new Date(ms);
    const hm = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    return rangeMs > 86400000 ? d.toLocaleDateString([], { month: 'short', day: 'numeric' }) + ' ' + hm : hm;
  }
  function fmtNum(n) {
    if (n === null || n === undefined || Number.isNaN(n)) return '–';
    if (Math.abs(n) >= 1e6) return (n / 1e6).toFixed(1) + 'M';
    if (Math.abs(n) >= 1e4) return (n / 1e3).toFixed(1) + 'k';
    return Number.isInteger(n) ? String(n) : n.toFixed(1);
  }
  async function get(path, params) {
    const res = await fetch(path + '?' + new URLSearchParams(params));
    const body = await res.json();
    if (!res.ok) throw new Error(body.error ? body.error.message : res.statusText);
    return body;
  }
  function timeChart(id, rangeMs, yTitle) {
    if (charts[id]) return charts[id];
    charts[id] = new Chart(document.getElementById(id), {
      type: 'line',
      data: { datasets: [] },
      options: {
        animation: false, maintainAspectRatio: false, parsing: false, normalized: true,
        interaction: { mode: 'nearest', axis: 'x', intersect: false },
        elements: { point: { radius: 0 }, line: { borderWidth: 2, tension: 0.2 } },
        scales: {
          x: { type: 'linear', ticks: { maxTicksLimit: 8, callback(v) { return fmtTime(v, this.chart.$range || rangeMs); } } },
          y: { beginAtZero: true, title: { display: !!yTitle, text: yTitle } },
        },
        plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } }, tooltip: { callbacks: { title: (items) => items.length ? new Date(items[0].parsed.x).toLocaleString() : '' } } },
      },
    });
    return charts[id];
  }
  function setSeries(chart, rangeMs, datasets) {
    chart.$range = rangeMs;
    chart.data.datasets = datasets.map((d, i) => ({ borderColor: COLORS[i % COLORS.length], backgroundColor: COLORS[i % COLORS.length] + '33', spanGaps: true, ...d }));
    chart.update();
  }
  const toXY = (points) => points.map(([x, y]) => ({ x, y }));

  async function drawSeries(id, metric, groupBy, range, step, yTitle) {
    const s = await get('/api/stats/series', { metric, groupBy, step, from: range.from, to: range.to });
    setSeries(timeChart(id, range.ms, yTitle), range.ms, s.series.map((g) => ({ label: g.group, data: toXY(g.points) })));
  }
  async function drawLatency(range, step) {
    const [p50, p95] = await Promise.all(['latency_p50', 'latency_p95'].map((metric) => get('/api/stats/series', { metric, groupBy: 'none', step, from: range.from, to: range.to })));
    const ds = [];
    if (p50.series[0]) ds.push({ label: 'p50', data: toXY(p50.series[0].points) });
    if (p95.series[0]) ds.push({ label: 'p95', data: toXY(p95.series[0].points) });
    setSeries(timeChart('chart-latency', range.ms, 'ms'), range.ms, ds);
  }
  async function drawStatus(range) {
    const s = await get('/api/stats/status', { groupBy: 'none', from: range.from, to: range.to });
    const labels = s.rows.map((r) => r.status);
    const data = s.rows.map((r) => r.runs);
    if (!charts['chart-status']) {
      charts['chart-status'] = new Chart(document.getElementById('chart-status'), {
        type: 'doughnut', data: { labels: [], datasets: [{ data: [] }] },
        options: { animation: false, maintainAspectRatio: false, plugins: { legend: { position: 'right' } } },
      });
    }
    const c = charts['chart-status'];
    c.data.labels = labels;
    c.data.datasets[0].data = data;
    c.data.datasets[0].backgroundColor = labels.map((l, i) => STATUS_COLORS[l] || COLORS[i % COLORS.length]);
    c.update();
  }
  async function drawCache(groupBy, range) {
    const s = await get('/api/stats/cache', { groupBy, from: range.from, to: range.to });
    if (!charts['chart-cache']) {
      charts['chart-cache'] = new Chart(document.getElementById('chart-cache'), {
        type: 'bar', data: { labels: [], datasets: [{ label: 'cache hit ratio', data: [], backgroundColor: '#2563eb' }] },
        options: { animation: false, maintainAspectRatio: false, indexAxis: 'y', scales: { x: { min: 0, max: 1, ticks: { callback: (v) => Math.round(v * 100) + '%' } } }, plugins: { legend: { display: false } } },
      });
    }
    const c = charts['chart-cache'];
    c.data.labels = s.rows.map((r) => r.group);
    c.data.datasets[0].data = s.rows.map((r) => r.ratio);
    c.update();
  }
  async function drawScheduling(groupBy, range) {
    const s = await get('/api/stats/scheduling', { groupBy, from: range.from, to: range.to });
    const cell = (v) => `<td>${v}</td>`;
    const esc = (t) => String(t).replace(/[&<>"]/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[ch]);
    document.querySelector('#scheduling tbody').innerHTML = s.rows.map((r) => '<tr>' +
      cell(esc(r.scheduler)) + cell(esc(r.group)) + cell(fmtNum(r.runs)) +
      cell([r.slotWaitP50Ms, r.slotWaitP95Ms, r.slotWaitP99Ms].map(fmtNum).join(' / ')) +
      cell([r.slowdownP50, r.slowdownP95, r.slowdownP99].map((v) => (v === null ? '–' : v.toFixed(2))).join(' / ')) +
      cell(r.predictionRatioP50 === null ? '–' : r.predictionRatioP50.toFixed(2)) + cell(fmtNum(r.predictionErrorP50Ms)) +
      cell(r.runs ? Math.round((100 * r.bySource) / r.runs) + '%' : '–') + '</tr>').join('');
  }
  // Fleet panel: per class, executors (desired, ready; right axis) and busy cores demanded vs forecast (left axis).
  async function drawFleet(range, step) {
    const s = await get('/api/stats/fleet', { step, from: range.from, to: range.to });
    const seconds = { '1m': 60, '5m': 300, '15m': 900, '1h': 3600 }[step];
    const byClass = {};
    for (const p of s.points) (byClass[p.hardwareClass] = byClass[p.hardwareClass] || []).push(p);
    const chart = timeChart('chart-fleet', range.ms, 'busy cores');
    if (!chart.options.scales.executors) {
      chart.options.scales.executors = { position: 'right', beginAtZero: true, grid: { drawOnChartArea: false }, title: { display: true, text: 'executors' }, ticks: { precision: 0 } };
    }
    const ds = [];
    Object.keys(byClass).sort().forEach((hw, k) => {
      const pts = byClass[hw];
      const color = COLORS[k % COLORS.length];
      const xy = (f) => pts.map((p) => ({ x: p.t, y: f(p) }));
      ds.push({ label: hw + ' demand', data: xy((p) => p.cpuSeconds / seconds), borderColor: color });
      ds.push({ label: hw + ' forecast', data: xy((p) => (p.forecastCpuSeconds === null ? null : p.forecastCpuSeconds / seconds)), borderColor: color, borderDash: [6, 4] });
      ds.push({ label: hw + ' desired', data: xy((p) => p.desired), yAxisID: 'executors', stepped: true, borderColor: color + 'aa', borderWidth: 1 });
      ds.push({ label: hw + ' actual', data: xy((p) => p.actual), yAxisID: 'executors', stepped: true, borderColor: color + '66', borderWidth: 3 });
    });
    chart.$range = range.ms;
    chart.data.datasets = ds.map((d) => ({ spanGaps: true, backgroundColor: d.borderColor, ...d }));
    chart.update();
  }
  async function drawDecisions(range) {
    const s = await get('/api/stats/fleet/decisions', { from: range.from, to: range.to, limit: 20 });
    const esc = (t) => String(t).replace(/[&<>"]/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[ch]);
    const cell = (v) => `<td>${v}</td>`;
    // Executor decisions show the executors desired; warm-pool decisions the size per dependency set.
    const sizes = (d) => Object.entries(d.sizes || {}).map(([set, n]) => `${set || 'base'} ${n}`).join(', ') || '–';
    document.querySelector('#decisions tbody').innerHTML = s.decisions.length
      ? s.decisions.map((d) => '<tr>' + cell(esc(fmtTime(d.at, range.ms))) + cell(esc(d.hardwareClass)) + cell(d.kind === 'pool_decision' ? 'warm pools' : 'executors') +
        cell(d.kind === 'pool_decision' ? esc(sizes(d)) : fmtNum(d.desired)) + cell(fmtNum(d.actual)) +
        cell(d.applied ? 'yes' : 'observed') + cell(esc(d.reason)) + '</tr>').join('')
      : '<tr><td colspan="7">No scaling or warm-pool decisions in this range (the scaler runs in the fleet manager; SCALER_MODE).</td></tr>';
  }
  async function drawSummary() {
    const s = await get('/api/stats/summary', {});
    const w = s.windows;
    const card = (k, key) => `<div class="card"><div class="k">${k}</div><div class="v">${fmtNum(w.day[key])}<span class="s"> / day</span></div>` +
      `<div class="s">${fmtNum(w.hour[key])} last hour · ${fmtNum(w.week[key])} last week</div></div>`;
    document.getElementById('summary').innerHTML =
      card('Runs', 'runs') + card('Compiles', 'compiles') + card('Executions', 'executions') + card('Sessions', 'sessions') + card('Users', 'users') + card('CPU seconds', 'cpuSeconds');
  }
  async function drawLag() {
    const s = await get('/api/stats/lag', {});
    const el = document.getElementById('lag');
    if (s.state === 'not_running') { el.textContent = 'Sink: not running in this service.'; return; }
    const ch = s.clickhouse && s.clickhouse.up ? 'ClickHouse up' : `ClickHouse unavailable since ${new Date(s.clickhouse.since).toLocaleTimeString()} (${s.clickhouse.lastError})`;
    el.textContent = `Sink ${s.state}: lag ${fmtNum(s.totalLag)} records · ${ch} · ${fmtNum(s.bufferedRows)} rows buffered · ${fmtNum(s.inFlightRows ?? 0)} in flight`;
  }

  async function refresh() {
    const f = new FormData(form);
    const ms = Number(f.get('range'));
    const to = Date.now();
    const range = { ms, to, from: to - ms };
    const step = stepFor(ms);
    const groupBy = f.get('groupBy');
    const label = groupBy === 'none' ? '' : groupBy;
    const results = await Promise.allSettled([
      drawSummary(),
      drawSeries('chart-runs', 'runs', groupBy, range, step, 'runs per ' + step),
      drawSeries('chart-cpu', 'cpu_cores', groupBy, range, step, 'cores'),
      drawLatency(range, step),
      drawSeries('chart-queue', 'queue_wait_p95', groupBy, range, step, 'ms'),
      drawStatus(range),
      drawCache(groupBy, range),
      drawScheduling(groupBy, range),
      drawFleet(range, step),
      drawDecisions(range),
      drawLag(),
    ]);
    const failed = results.filter((r) => r.status === 'rejected');
    const u = document.getElementById('updated');
    u.className = failed.length ? 'error' : '';
    u.textContent = failed.length ? `Update failed: ${failed[0].reason.message}` : `Updated ${new Date().toLocaleTimeString()}${label ? '' : ''}`;
    refreshes++;
    document.body.dataset.refreshes = String(refreshes);
  }
  function schedule() {
    if (timer) clearInterval(timer);
    const every = Number(new FormData(form).get('refresh'));
    if (every > 0) timer = setInterval(refresh, every);
  }
  form.addEventListener('change', () => { refresh(); schedule(); });
  refresh();
  schedule();
})();
