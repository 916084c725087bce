import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadSyntheticUsage } from '../../analytics/forecast/synthetic-usage';
import type { AnalyticsService } from '../../consumers/sink/main';
import type { ScalerDecision } from '../../ops/fleet/scaler';
import { httpScalerSource } from '../../ops/fleet/scaler-source-http';
import { scalerSettings } from '../../ops/fleet/scaler-settings';
import { kafkaBacklog } from '../../ops/fleet/backlog';
import { startFleetService, type FleetService } from '../../ops/fleet/service';
import { fleetSettings } from '../../ops/fleet/settings';
import { operatorToken } from '../../topics/ground/operator-token';
import { startAnalyticsFromNow } from '../support/analytics';
import { realInfra } from '../support/infra';
import { until } from '../support/until';
import { gatewayUrl, postJson, startGateway, stopService, testEnv } from '../support/stack';

/**
 * Forecasts drive the local fleet, end to end: synthetic usage history in the
 * analytics service's ClickHouse (chdb) has a daily peak; the fleet manager
 * (local actuator, real executor processes) runs the scaler, which reads
 * forecasts and usage over HTTP from the analytics service and the backlog
 * from the real broker; live runs go through the gateway to the executors.
 *
 * Compressed clock: the scaler's "now" is injected and the test advances it
 * one minute per tick (and jumps over the middle of the peak), so two hours of
 * the day pass in a few minutes. The synthetic history therefore also holds
 * the minutes that clock walks into (the "what came" of those minutes); the
 * forecaster only ever reads minutes before the scaler's now.
 */
const { kafka, registry } = realInfra('conveyor-fleet-scaler-test');
const token = operatorToken({ configured: `fleet-scaler-test-${randomUUID()}`, stateDir: os.tmpdir() });
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-scaler-test-'));
const executorEnv = { ...testEnv, CONVEYOR_RUNTIMES_POOL_SIZE: '1', EXECUTOR_CONCURRENCY: '2' };

// Real minute at the start; the peak (40 runs/min of 1 s, against 4 the rest of the day) starts RAMP minutes later, daily, for 2 hours.
const T = Math.floor(Date.now() / 60000);
const RAMP = 12;
const PEAK_MINUTES = 120;
const inPeak = (m: number) => ((((m - (T + RAMP)) % 1440) + 1440) % 1440) < PEAK_MINUTES;
const runsAt = (m: number) => (inPeak(m) ? 40 : 4) + (m % 3) - 1;

let analytics: AnalyticsService;
let svc: FleetService;
let gateway: Awaited<ReturnType<typeof startGateway>>;
let clock = T * 60000 + 30000;
const decisions: ScalerDecision[] = [];

beforeAll(async () => {
  analytics = await startAnalyticsFromNow(kafka, { port: 18091, clickhouseDataDir: path.join(root, 'ch'), groupPrefix: 'fleet-scaler-sink', env: { FLEET_REPORT_ENABLED: 'false' } });
  await loadSyntheticUsage(analytics.warehouse, { hardwareClass: 'x86_64', fromMinute: T - 3 * 1440, toMinute: T + RAMP + PEAK_MINUTES + 60, runsAt, cpuMsPerRun: 1000, prefix: `fleet-scaler-${T}` });
  gateway = await startGateway();
  const settings = fleetSettings({
    ...process.env, FLEET_PORT: '18096', FLEET_CORES: '4', FLEET_DESIRED: 'x86_64=1', FLEET_MIN: 'x86_64=1', FLEET_MAX: 'x86_64=3',
    FLEET_RESTART_BACKOFF_MS: '300', FLEET_START_TIMEOUT_MS: '90000', FLEET_DRAIN_TIMEOUT_MS: '60000',
  });
  const scaler = scalerSettings({
    SCALER_MODE: 'act', SCALER_BOOT_DELAY_SECONDS: '300', SCALER_LOOKAHEAD_MINUTES: '2', SCALER_SCALE_IN_WINDOW_MINUTES: '3',
    SCALER_SLOTS_PER_EXECUTOR: '2', SCALER_REFRESH_MINUTES: '5', SCALER_DEFAULT_SERVICE_MS: '1000',
  });
  svc = await startFleetService({
    kafka, registry, settings, token, logDir: path.join(root, 'services'), executorEnv,
    scaler: { settings: scaler, source: httpScalerSource({ url: analytics.url, timeoutMs: 60000 }), now: () => clock, start: false },
  });
  await svc.converged(120000);
  // The reactive floor counts the executor group's backlog on the requests topic, which the suites share: what an
  // earlier suite left there unconsumed (an executor it killed) made the floor 2 here in CI. The fleet's executor
  // drains it (runs or dead-letters it) before the first tick.
  const probe = kafkaBacklog(kafka);
  try {
    await until('the requests earlier suites left for the x86_64 group to be consumed', () => probe.backlog('x86_64'), (b) => b === 0, 120000);
  } finally {
    await probe.stop();
  }
}, 420000);

afterAll(async () => {
  await svc?.stop();
  if (gateway) await stopService(gateway, 5000);
  await analytics?.close();
  fs.rmSync(root, { recursive: true, force: true });
}, 240000);

const x86 = () => svc.control.list().classes.find((c) => c.hardwareClass === 'x86_64')!;
async function tickAt(minute: number): Promise<ScalerDecision> {
  clock = minute * 60000 + 30000;
  const [d] = await svc.scaler!.tick();
  decisions.push(d!);
  return d!;
}

describe('the scaler on the live fleet manager', () => {
  it('grows the fleet on the forecast before the daily ramp, while the live floor still needs one executor, and serves live runs on it', async () => {
    let grown: ScalerDecision | undefined;
    for (let m = T; m < T + RAMP && !grown; m++) {
      const d = await tickAt(m);
      if (d.desired > 1) grown = d;
    }
    // Boot delay 5 min + lookahead 2: the forecast's ramp is seen about 7 minutes ahead, before any peak minute has come.
    expect(grown).toBeDefined();
    expect(grown!.minute).toBeLessThan(T + RAMP);
    expect(grown).toMatchObject({ reason: 'forecast', reactiveNeed: 1, act: true });
    // The model is fitted on 5-minute buckets, so its ramp may begin up to a bucket early.
    expect(grown!.forecastLoad!.minute).toBeGreaterThanOrEqual(T + RAMP - 5);
    expect(grown!.explanation).toMatch(/the forecast \(mstl-daily\) expects/);
    expect(x86().desired).toBe(grown!.desired);

    const ready = await until('the grown fleet to be ready', x86, (c) => c.ready >= grown!.desired, 150000);
    expect(ready.members.filter((m) => m.state === 'ready').length).toBe(grown!.desired);

    const runs = await Promise.all(Array.from({ length: 4 }, (_, i) => postJson(`${gatewayUrl}/api/v1/runs`, { language: 'py', code: `print(${i} * 7)` })));
    expect(runs.map((r) => [r.status, r.json.status, r.json.run?.stdout])).toEqual([0, 1, 2, 3].map((i) => [200, 'ok', `${i * 7}\n`]));
  }, 300000);

  it('holds the size through the peak and shrinks after it only once the stabilisation window has passed', async () => {
    // Jump the compressed clock to late in the peak, then walk out of it minute by minute.
    let shrunk: ScalerDecision | undefined;
    const walked: ScalerDecision[] = [];
    for (let m = T + RAMP + PEAK_MINUTES - 10; m < T + RAMP + PEAK_MINUTES + 40 && !shrunk; m++) {
      const d = await tickAt(m);
      walked.push(d);
      if (d.desired === 1) shrunk = d;
    }
    expect(walked[0]!.desired).toBeGreaterThan(1);
    expect(shrunk).toBeDefined();
    expect(shrunk!.minute).toBeGreaterThanOrEqual(T + RAMP + PEAK_MINUTES);
    // Before shrinking, a lower recommendation was held back by the window.
    expect(walked.some((d) => d.reason === 'stabilised' || d.reason === 'hold')).toBe(true);
    expect(['forecast', 'min', 'reactive']).toContain(shrunk!.reason);
    expect(x86().desired).toBe(1);
    const after = await until('the fleet to drain back to one executor', x86, (c) => c.actual === 1 && !c.members.some((m) => m.state === 'draining'), 150000);
    expect(after.members.filter((m) => m.state === 'stopped').length).toBeGreaterThanOrEqual(1);
  }, 300000);

  it('recorded every decision as an ops.fleet event and a ClickHouse row with its inputs, and every forecast it used', async () => {
    const rows = await until(
      'every decision in fleet_events',
      () => analytics.warehouse.query<{ desired: number; applied: number; reason: string; actor: string; inputs_json: string }>(
        "SELECT desired, applied, reason, actor, inputs_json FROM fleet_events FINAL WHERE kind = 'scale_decision' AND manager_id = {m:String} ORDER BY at",
        { m: svc.managerId },
      ),
      (r) => r.length >= decisions.length,
      60000,
    );
    expect(rows).toHaveLength(decisions.length);
    rows.forEach((r, i) => {
      const inputs = JSON.parse(r.inputs_json) as Record<string, unknown>;
      expect(inputs).toMatchObject({ minute: decisions[i]!.minute, result: decisions[i]!.desired, reason: decisions[i]!.reason, reactiveNeed: decisions[i]!.reactiveNeed, backlog: expect.any(Number), refreshError: null, usageError: null });
      expect(inputs).toHaveProperty('forecastNeed');
      expect(r).toMatchObject({ desired: decisions[i]!.desired, applied: 1, actor: 'scaler', reason: expect.stringContaining(decisions[i]!.explanation) });
    });
    const changes = await analytics.warehouse.query<{ n: string }>(
      "SELECT count() AS n FROM fleet_events FINAL WHERE kind = 'desired_changed' AND actor = 'scaler' AND manager_id = {m:String}",
      { m: svc.managerId },
    );
    expect(Number(changes[0]!.n)).toBeGreaterThanOrEqual(2);
    // The loop refreshes at its first tick and then every 5 minutes of its clock: those forecasts are stored.
    const expected: number[] = [];
    for (const d of decisions) if (!expected.length || d.minute - expected.at(-1)! >= 5) expected.push(d.minute);
    const issued = await analytics.warehouse.query<{ m: string }>(
      "SELECT DISTINCT intDiv(toUnixTimestamp(issued_at), 60) AS m FROM forecasts WHERE hardware_class = 'x86_64' AND metric = 'runs' ORDER BY m",
    );
    expect(issued.map((r) => Number(r.m))).toEqual(expected);
  }, 120000);
});
