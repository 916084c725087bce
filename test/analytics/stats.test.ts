import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { migrate } from '../../analytics/migrations';
import { editRow, runRow } from '../../analytics/rows';
import { createStatsRouter } from '../../analytics/stats-router';
import { openWarehouse, type Warehouse } from '../../analytics/warehouse';
import { editEvent, runResult, tmpDir } from './fixtures';

const T0 = Date.UTC(2026, 0, 10, 12, 0, 0);
const MIN = 60_000;
let wh: Warehouse;
let server: http.Server;
let base: string;

const origin = (offset: number) => ({ topic: 'runs.results', partition: 0, offset });

beforeAll(async () => {
  wh = await openWarehouse({ dataDir: tmpDir('stats-ch') });
  await migrate(wh);
  const rows = [];
  // Minute 0: six python runs on x86_64, half of them cache hits.
  for (let i = 0; i < 6; i++) {
    rows.push(runRow(runResult('st', i, { at: T0 + i * 1000, hardwareClass: 'x86_64', dependencySet: 'python-3.11-std', language: 'python', compile: null, cacheHit: i < 3, status: 'ok' }), origin(i)));
  }
  // Minute 2: four C++ runs on arm64, two of them failing to compile, no cache hits.
  for (let i = 6; i < 10; i++) {
    const r = runResult('st', i, { at: T0 + 2 * MIN, hardwareClass: 'arm64', dependencySet: 'cpp-gcc12-std', language: 'cpp', cacheHit: false, status: i < 8 ? 'ok' : 'compile_error' });
    // Scheduled by Conveyor: queued 20 ms after the request, predicted at half of the 200 ms they took.
    const scheduled = { scheduler: 'conveyor', queuedAtMs: r.requestedAtMs + 20, predictedCompileMs: 40, predictedRunMs: 60, predictionBasis: i < 7 ? 'class' : 'source' };
    rows.push(runRow({ ...r, ...scheduled, startedAtMs: r.requestedAtMs + 30, finishedAtMs: r.requestedAtMs + 230 }, origin(i)));
  }
  await wh.insert('runs', rows);
  await wh.insert('edit_activity', [0, 1, 2, 3, 4].map((i) => editRow({ ...editEvent('st', i, T0 + i * 1000), sessionId: `st-edit-session-${i % 2}` }, { topic: 'editor.edits', partition: 0, offset: i })));
  const app = express();
  app.use(createStatsRouter({ warehouse: wh, now: () => T0 + 30 * MIN }));
  server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await wh?.close();
});

async function get(path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(base + path);
  return { status: res.status, body: await res.json() };
}

const range = `from=${T0}&to=${T0 + 5 * MIN}`;

describe('statistics API over known data', () => {
  it('sums compiles, executions and sessions for the last hour, day and week', async () => {
    const { status, body } = await get(`/api/stats/summary?at=${T0 + 30 * MIN}`);
    expect(status).toBe(200);
    // run sessions st-session-0..6 (7 distinct over 10 runs) + 2 edit-only sessions
    expect(body.windows.hour).toMatchObject({ runs: 10, compiles: 4, executions: 10, sessions: 9, edits: 5 });
    expect(body.windows.week.runs).toBe(10);
    expect(body.windows.hour.cpuSeconds).toBeCloseTo(6 * 0.045 + 4 * 0.08, 6);
    const later = await get(`/api/stats/summary?at=${T0 + 2 * 3600_000}`);
    expect(later.body.windows.hour.runs).toBe(0);
    expect(later.body.windows.day.runs).toBe(10);
    // Windows are exact to the minute although whole hours come from the hourly rollup:
    // a day ending 24 h 2 min after T0 starts after the 6 runs at T0 and includes the 4 at T0 + 2 min.
    const edge = await get(`/api/stats/summary?at=${T0 + 24 * 3600_000 + 2 * MIN}`);
    expect(edge.body.windows.day.runs).toBe(4);
    expect(edge.body.windows.week.runs).toBe(10);
  });

  it('returns a per-minute series grouped by hardware class with empty minutes as zero', async () => {
    const { body } = await get(`/api/stats/series?metric=runs&groupBy=hardware_class&step=1m&${range}`);
    const bySeries = Object.fromEntries(body.series.map((s: { group: string; points: [number, number][] }) => [s.group, s.points]));
    expect(bySeries.x86_64).toEqual([[T0, 6], [T0 + MIN, 0], [T0 + 2 * MIN, 0], [T0 + 3 * MIN, 0], [T0 + 4 * MIN, 0]]);
    expect(bySeries.arm64).toEqual([[T0, 0], [T0 + MIN, 0], [T0 + 2 * MIN, 4], [T0 + 3 * MIN, 0], [T0 + 4 * MIN, 0]]);
    const cpu = await get(`/api/stats/series?metric=cpu_seconds&groupBy=none&step=1h&from=${T0}&to=${T0 + 3600_000}`);
    expect(cpu.body.series[0].points[0][1]).toBeCloseTo(0.59, 6);
    const byDep = await get(`/api/stats/series?metric=runs&groupBy=dependency_set&step=1h&from=${T0}&to=${T0 + 3600_000}&language=cpp`);
    expect(byDep.body.series).toEqual([{ group: 'cpp-gcc12-std', points: [[T0, 4]] }]);
  });

  it('reports slot wait, slowdown and prediction quality of scheduled runs', async () => {
    const { status, body } = await get(`/api/stats/scheduling?groupBy=hardware_class&${range}`);
    expect(status).toBe(200);
    expect(body.rows).toHaveLength(1);
    const [row] = body.rows;
    expect(row).toMatchObject({ scheduler: 'conveyor', group: 'arm64', runs: 4, slotWaitP50Ms: 10, predictionRatioP50: 0.5, predictionErrorP50Ms: 100, bySource: 3 });
    expect(row.slowdownP99).toBeCloseTo(230 / 200, 3);
  });

  it('reports latency and queue-wait percentiles per group', async () => {
    const { body } = await get(`/api/stats/latency?groupBy=hardware_class&${range}`);
    const x86 = body.rows.find((r: { group: string }) => r.group === 'x86_64');
    const arm = body.rows.find((r: { group: string }) => r.group === 'arm64');
    expect(x86).toMatchObject({ runs: 6, latency: { p50: 110, p95: 110 }, queueWait: { p50: 10 } });
    expect(arm).toMatchObject({ runs: 4, latency: { p50: 230, p99: 230 }, queueWait: { p95: 30 } });
    const qw = await get(`/api/stats/queue-wait?groupBy=none&${range}`);
    expect(qw.body.rows[0].avgMs).toBeCloseTo((6 * 10 + 4 * 30) / 10, 6);
  });

  it('breaks runs down by status and computes the cache hit ratio', async () => {
    const s = await get(`/api/stats/status?groupBy=none&${range}`);
    expect(s.body.rows).toEqual([{ group: 'all', status: 'ok', runs: 8 }, { group: 'all', status: 'compile_error', runs: 2 }]);
    const c = await get(`/api/stats/cache?groupBy=hardware_class&${range}`);
    expect(c.body.rows).toEqual(expect.arrayContaining([{ group: 'x86_64', runs: 6, cacheHits: 3, ratio: 0.5 }, { group: 'arm64', runs: 4, cacheHits: 0, ratio: 0 }]));
  });

  it.each([
    ['/api/stats/series?metric=runs;DROP TABLE runs', 'metric'],
    ['/api/stats/series?groupBy=user_id', 'groupBy'],
    ['/api/stats/series?step=7m', 'step'],
    [`/api/stats/series?step=1m&from=${T0}&to=${T0 + 30 * 86400_000}`, 'step'],
    ['/api/stats/status?from=yesterday', 'from'],
    [`/api/stats/cache?from=${T0 + MIN}&to=${T0}`, 'from'],
    ["/api/stats/latency?hardwareClass=x86_64' OR 1=1 --", 'hardwareClass'],
  ])('rejects %s with 400 naming %s', async (path, param) => {
    const { status, body } = await get(path);
    expect(status).toBe(400);
    expect(body.error.code).toBe('invalid_params');
    expect(body.error.message).toMatch(new RegExp(`^${param}`));
  });

  it('answers 404 with an error body for an unknown endpoint and reports the sink as not running', async () => {
    expect((await get('/api/stats/nope')).status).toBe(404);
    expect((await get('/api/stats/lag')).body).toMatchObject({ state: 'not_running' });
  });
});
