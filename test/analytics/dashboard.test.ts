import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import express from 'express';
import { chromium, type BrowserContext } from 'playwright-core';
import { createDashboardRouter } from '../../analytics/dashboard-router';
import { generateRuns } from '../../analytics/generate';
import { migrate } from '../../analytics/migrations';
import { fleetRow } from '../../analytics/rows';
import type { FleetEvent } from '../../topics/types';
import { createStatsRouter } from '../../analytics/stats-router';
import { openWarehouse, type Warehouse } from '../../analytics/warehouse';
import { paths } from '../../topics/ground/paths';
import { tmpDir } from './fixtures';

let wh: Warehouse;
let server: http.Server;
let base: string;
let browser: BrowserContext;

beforeAll(async () => {
  wh = await openWarehouse({ dataDir: tmpDir('dashboard-ch') });
  await migrate(wh);
  await generateRuns(wh, { rows: 60_000, endMs: Date.now(), spanMs: 86400_000 });
  // The fleet panel's inputs: two sizes of x86_64 and a scaler decision (ops.fleet rows), and a forecast of the last hour.
  const hourAgo = Math.floor(Date.now() / 60000) * 60000 - 3600_000;
  const fleetEvent = (i: number, at: number, o: Partial<FleetEvent>): FleetEvent => ({
    eventId: `dash-${i}`, timestampMs: at, kind: 'desired_changed', hardwareClass: 'x86_64', memberId: null, state: null, previousState: null, desired: 1, actual: 1,
    min: 1, max: 4, applied: true, reason: 'operator', actor: 'operator', inputsJson: null, managerId: 'fm-dash', ...o,
  });
  await wh.insert('fleet_events', [
    fleetEvent(0, hourAgo, {}),
    fleetEvent(1, hourAgo + 1800_000, { kind: 'scale_decision', desired: 3, actor: 'scaler', reason: 'forecast: 3 executors: the forecast (mstl-daily) expects a ramp' }),
    fleetEvent(2, hourAgo + 1800_500, { desired: 3, actual: 1, actor: 'scaler', reason: 'scaler: forecast' }),
    fleetEvent(3, hourAgo + 1800_600, {
      kind: 'pool_decision', desired: null, actual: null, min: null, max: null, actor: 'scaler', reason: '1 pool size changed: python:numpy 2 -> 4',
      inputsJson: JSON.stringify({ sizes: { python: 2, 'python:numpy': 4 } }),
    }),
  ].map((e, i) => fleetRow(e, { topic: 'ops.fleet', partition: 0, offset: i })));
  await wh.insert('forecasts', Array.from({ length: 60 }, (_, m) => ({
    issued_at: hourAgo / 1000, hardware_class: 'x86_64', dependency_set: '', metric: 'cpu_seconds', target_minute: hourAgo / 1000 + m * 60,
    horizon_minutes: m, value: 600, lower: 500, upper: 700, method: 'mstl-daily',
  })));
  const app = express();
  app.use(createStatsRouter({
    warehouse: wh,
    sinkStatus: () => ({
      groupId: 'conveyor-sink', state: 'running', clickhouse: { up: true, since: Date.now(), lastError: null, failedAttempts: 0 },
      lag: [], totalLag: 42, lagCheckedAt: Date.now(), bufferedRows: 0,
      inFlightRows: 0, insertedRows: {}, skippedRedeliveries: 0, deadLetters: 0, lastFlushAt: null,
    }),
  }));
  app.use(createDashboardRouter());
  server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // A fresh profile per run (launchPersistentContext is how Playwright takes --user-data-dir).
  browser = await chromium.launchPersistentContext(tmpDir('chromium'), {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1400, height: 1100 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

afterAll(async () => {
  await browser?.close();
  await new Promise((r) => server?.close(r));
  await wh?.close();
});

describe('usage dashboard', () => {
  it('renders every chart with data from the statistics API in Chromium', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    const outside: string[] = [];
    page.on('request', (r) => !r.url().startsWith(base) && outside.push(r.url()));

    await page.goto(`${base}/dashboard`);
    await page.waitForSelector('body[data-refreshes="1"]', { timeout: 30_000 });
    const charts = await page.evaluate(() => {
      const all = (window as unknown as { conveyorCharts: Record<string, { canvas: HTMLCanvasElement; data: { datasets: { data: unknown[] }[] } }> }).conveyorCharts;
      return Object.fromEntries(Object.entries(all).map(([id, c]) => [id, {
        canvas: c.canvas.width > 0 && c.canvas.height > 0,
        datasets: c.data.datasets.length,
        points: c.data.datasets.reduce((n, d) => n + d.data.filter((p) => p !== null && (typeof p !== 'object' || (p as { y: unknown }).y !== null)).length, 0),
      }]));
    });
    for (const id of ['chart-runs', 'chart-cpu', 'chart-latency', 'chart-queue', 'chart-status', 'chart-cache']) {
      expect(charts[id]).toMatchObject({ canvas: true });
      expect(charts[id]!.points).toBeGreaterThan(0);
    }
    expect(charts['chart-runs']!.datasets).toBe(3); // x86_64, arm64, gpu
    // Fleet panel: per class demand, forecast, desired and actual; x86_64 has all four.
    const fleet = await page.evaluate(() => {
      const c = (window as unknown as { conveyorCharts: Record<string, { data: { datasets: { label: string; data: { y: number | null }[] }[] } }> }).conveyorCharts['chart-fleet']!;
      return Object.fromEntries(c.data.datasets.map((d) => [d.label, d.data.map((p) => p.y).filter((y): y is number => y !== null)]));
    });
    expect(Math.max(...fleet['x86_64 desired']!)).toBe(3);
    expect(fleet['x86_64 actual']!.length).toBeGreaterThan(0);
    expect(fleet['x86_64 forecast']!.length).toBeGreaterThan(0);
    expect(Math.max(...fleet['x86_64 demand']!)).toBeGreaterThan(0);
    expect(await page.textContent('#decisions tbody')).toContain('forecast: 3 executors: the forecast (mstl-daily) expects a ramp');
    // Warm-pool decisions are listed beside them, with their sizes per dependency set.
    const pools = await page.$$eval('#decisions tbody tr', (rows) => rows.map((r) => Array.from(r.querySelectorAll('td'), (td) => td.textContent)).filter((c) => c[2] === 'warm pools'));
    expect(pools).toHaveLength(1);
    expect(pools[0]!.slice(3)).toEqual(['python 2, python:numpy 4', '–', 'yes', '1 pool size changed: python:numpy 2 -> 4']);
    expect(await page.textContent('#summary')).toMatch(/Runs\s*\d/);
    expect(await page.textContent('#lag')).toContain('lag 42 records');
    expect(await page.textContent('#updated')).toMatch(/^Updated/);

    // Regrouping redraws the same charts with one series per dependency set.
    await page.selectOption('select[name=groupBy]', 'dependency_set');
    await page.waitForSelector('body[data-refreshes="2"]', { timeout: 30_000 });
    const deps = await page.evaluate(() => (window as unknown as { conveyorCharts: Record<string, { data: { datasets: unknown[] } }> }).conveyorCharts['chart-runs']!.data.datasets.length);
    expect(deps).toBe(8);
    await page.selectOption('select[name=groupBy]', 'hardware_class');
    await page.waitForSelector('body[data-refreshes="3"]', { timeout: 30_000 });

    const shot = path.join(paths().state, 'dashboard.png');
    fs.mkdirSync(path.dirname(shot), { recursive: true });
    await page.screenshot({ path: shot, fullPage: true });
    expect(errors).toEqual([]);
    expect(outside).toEqual([]);
  });
});
