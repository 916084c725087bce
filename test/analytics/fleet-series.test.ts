import { fleetDecisions, fleetHistory, fleetSeries } from '../../analytics/fleet-queries';
import { migrate } from '../../analytics/migrations';
import { fleetRow, runRow } from '../../analytics/rows';
import { createStatsRouter } from '../../analytics/stats-router';
import { openWarehouse, type Warehouse } from '../../analytics/warehouse';
import express from 'express';
import type { AddressInfo } from 'node:net';
import type { FleetEvent } from '../../topics/types';
import { runResult, tmpDir } from './fixtures';

/** Fleet size per class over time next to demand, from fleet_events and usage_per_minute on the real engine. */
// Yesterday, on the hour: recent enough for the tables' TTLs (forecasts keep 90 days).
const T0 = Math.floor(Date.now() / 3600_000) * 3600_000 - 86400_000;
const MIN = 60_000;
let wh: Warehouse;

const event = (i: number, at: number, o: Partial<FleetEvent>): FleetEvent => ({
  eventId: `fs-${i}`, timestampMs: at, kind: 'desired_changed', hardwareClass: 'x86_64', memberId: null, state: null, previousState: null,
  desired: null, actual: null, min: null, max: null, applied: true, reason: 'test', actor: 'operator', inputsJson: null, managerId: 'fm', ...o,
});

beforeAll(async () => {
  wh = await openWarehouse({ dataDir: tmpDir('fleet-series-ch') });
  await migrate(wh);
  const o = (offset: number) => ({ topic: 'ops.fleet', partition: 0, offset });
  await wh.insert('fleet_events', [
    fleetRow(event(0, T0 - 10 * MIN, { desired: 1, actual: 1 }), o(0)),
    fleetRow(event(1, T0 + 2 * MIN, { desired: 3, actual: 1 }), o(1)),
    fleetRow(event(2, T0 + 3 * MIN, { kind: 'member_state', state: 'ready', actual: 3, desired: 3 }), o(2)),
    // A decision only observed does not change the size.
    fleetRow(event(3, T0 + 4 * MIN, { kind: 'scale_decision', desired: 9, applied: false, actor: 'scaler', reason: 'observe only: forecast: 9 executors' }), o(3)),
    fleetRow(event(4, T0 + 1 * MIN, { kind: 'scale_decision', desired: 3, applied: true, actor: 'scaler', reason: 'forecast: 3 executors' }), o(4)),
    // A warm-pool decision (as pool-channel.ts records it): sizes per dependency set in its inputs, no executor count.
    fleetRow(event(6, T0 + 2.5 * MIN, {
      kind: 'pool_decision', applied: true, actor: 'scaler', reason: '1 pool size changed: python:numpy 2 -> 4 (forecast)',
      inputsJson: JSON.stringify({ minute: 3, executors: 3, sizes: { python: 2, 'python:numpy': 4 }, decisions: [] }),
    }), o(5)),
  ]);
  // Two forecasts of CPU seconds per minute: issued at T0 (10 a minute) and at T0 + 2 min (20 a minute, replacing the first from then on).
  const forecastRows = (issuedMin: number, value: number) =>
    [0, 1, 2, 3, 4].filter((m) => m >= issuedMin).map((m) => ({
      issued_at: (T0 + issuedMin * MIN) / 1000, hardware_class: 'x86_64', dependency_set: '', metric: 'cpu_seconds', target_minute: (T0 + m * MIN) / 1000,
      horizon_minutes: m - issuedMin, value, lower: value, upper: value, method: 'mstl-daily',
    }));
  await wh.insert('forecasts', [...forecastRows(0, 10), ...forecastRows(2, 20)]);
  await wh.insert('runs', [0, 1, 2, 3, 4].map((i) => runRow(runResult('fs', i, { at: T0 + 3 * MIN + i * 1000, hardwareClass: 'x86_64' }), { topic: 'runs.results', partition: 0, offset: i })));
});
afterAll(async () => {
  await wh?.close();
});

describe('fleet series', () => {
  it('carries the size forward per minute, takes the largest within a minute, ignores observed decisions and puts the runs beside it', async () => {
    const points = await fleetSeries(wh, { fromMs: T0, toMs: T0 + 5 * MIN, stepSeconds: 60 });
    const x86 = points.filter((p) => p.hardwareClass === 'x86_64');
    expect(x86.map((p) => [(p.t - T0) / MIN, p.desired, p.actual, p.runs, p.forecastCpuSeconds])).toEqual([
      [0, 1, 1, 0, 10],
      [1, 1, 1, 0, 10],
      [2, 3, 1, 0, 20],
      [3, 3, 3, 5, 20],
      [4, 3, 3, 0, 20],
    ]);
    // Five-minute steps sum the minutes of the forecast in use.
    const [step] = await fleetSeries(wh, { fromMs: T0, toMs: T0 + 5 * MIN, stepSeconds: 300 });
    expect(step).toMatchObject({ hardwareClass: 'x86_64', forecastCpuSeconds: 80, runs: 5 });
  });

  it('lists the scaler decisions, executor counts and warm-pool sizes, newest first, applied or observed, with their reasons', async () => {
    const d = await fleetDecisions(wh, { fromMs: T0, toMs: T0 + 5 * MIN, limit: 10 });
    expect(d.map((x) => [(x.at - T0) / MIN, x.kind, x.desired, x.applied, x.reason, x.sizes])).toEqual([
      [4, 'scale_decision', 9, false, 'observe only: forecast: 9 executors', null],
      [2.5, 'pool_decision', null, true, '1 pool size changed: python:numpy 2 -> 4 (forecast)', { python: 2, 'python:numpy': 4 }],
      [1, 'scale_decision', 3, true, 'forecast: 3 executors', null],
    ]);
    expect(await fleetDecisions(wh, { fromMs: T0, toMs: T0 + 5 * MIN, limit: 1 })).toHaveLength(1);
  });

  it('lists the fleet events newest first, for one class or all, in the ops.fleet shape, each once', async () => {
    const drained = event(5, T0 + 6 * MIN, { kind: 'member_state', hardwareClass: 'arm64', memberId: 'executor-arm64-1', state: 'stopped', previousState: 'draining', reason: 'drained: finished its runs' });
    // The same event twice (a redelivered record) is one row.
    await wh.insert('fleet_events', [fleetRow(drained, { topic: 'ops.fleet', partition: 1, offset: 0 }), fleetRow(drained, { topic: 'ops.fleet', partition: 1, offset: 0 })]);
    const all = await fleetHistory(wh, { limit: 10 });
    expect(all.map((e) => e.eventId)).toEqual(['fs-5', 'fs-3', 'fs-2', 'fs-6', 'fs-1', 'fs-4', 'fs-0']);
    expect(all[0]).toEqual(drained);
    expect(all[1]).toMatchObject({ kind: 'scale_decision', desired: 9, applied: false, memberId: null, state: null });
    expect((await fleetHistory(wh, { hardwareClass: 'x86_64', limit: 2 })).map((e) => e.eventId)).toEqual(['fs-3', 'fs-2']);
    expect(await fleetHistory(wh, { hardwareClass: 'gpu', limit: 10 })).toEqual([]);
  });

  it('serves them on the analytics API for `fleet history`, and refuses a bad class or limit with 400', async () => {
    const app = express();
    app.use(createStatsRouter({ warehouse: wh, now: () => T0 }));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/stats/fleet/events`;
    try {
      const ok = await fetch(`${base}?class=x86_64&limit=2`);
      expect(ok.status).toBe(200);
      expect(((await ok.json()) as { events: FleetEvent[] }).events.map((e) => e.eventId)).toEqual(['fs-3', 'fs-2']);
      for (const q of ['limit=0', 'limit=1001', 'class=X86;DROP']) {
        const bad = await fetch(`${base}?${q}`);
        expect(bad.status).toBe(400);
        expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('invalid_params');
      }
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
