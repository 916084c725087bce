import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadSyntheticUsage } from '../../analytics/forecast/synthetic-usage';
import type { AnalyticsService } from '../../consumers/sink/main';
import { httpScalerSource } from '../../ops/fleet/scaler-source-http';
import { scalerSettings } from '../../ops/fleet/scaler-settings';
import { startFleetService, type FleetService } from '../../ops/fleet/service';
import { fleetSettings } from '../../ops/fleet/settings';
import { poolSizeFor, type PoolSizeDecision } from '../../ops/fleet/warm-pools';
import { CONSUMER_FETCH_LIMITS, topics } from '../../topics/catalog';
import { decodeValue } from '../../topics/codec';
import { operatorToken } from '../../topics/ground/operator-token';
import type { PoolSizes } from '../../topics/types';
import { startAnalyticsFromNow } from '../support/analytics';
import { realInfra } from '../support/infra';
import { until } from '../support/until';
import { testEnv } from '../support/stack';

/**
 * Warm pools from the forecast, end to end: usage history of one dependency
 * set (JavaScript on Node 20) in the analytics service's ClickHouse has a
 * daily busy hour; the fleet manager's scaler (act mode, compressed clock as
 * in fleet-scaler.test.ts) forecasts each dependency set over HTTP, sizes
 * the set's pool and writes the sizes to runtimes.pools; the real executor
 * process it runs follows the topic and its engine's pool for that set grows
 * — before the busy hour's first minute comes.
 */
const { kafka, registry } = realInfra('conveyor-fleet-warm-pools-test');
const token = operatorToken({ configured: `fleet-pools-test-${randomUUID()}`, stateDir: os.tmpdir() });
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-pools-test-'));
const SET = 'javascript-node20-std';
const KEY = `node:${SET}`;

// The busy hour (two hours of 120 runs/min of this set against 2 the rest of the day) starts RAMP minutes after the real minute T, daily.
const T = Math.floor(Date.now() / 60000);
const RAMP = 20;
const inPeak = (m: number) => ((((m - (T + RAMP)) % 1440) + 1440) % 1440) < 120;
const runsAt = (m: number) => (inPeak(m) ? 120 : 2);

let analytics: AnalyticsService;
let svc: FleetService;
let clock = T * 60000 + 30000;

beforeAll(async () => {
  analytics = await startAnalyticsFromNow(kafka, { port: 18093, clickhouseDataDir: path.join(root, 'ch'), groupPrefix: 'fleet-pools-sink', env: { FLEET_REPORT_ENABLED: 'false' } });
  await loadSyntheticUsage(analytics.warehouse, { hardwareClass: 'x86_64', dependencySet: SET, language: 'javascript', fromMinute: T - 4 * 1440, toMinute: T + RAMP + 120, runsAt, cpuMsPerRun: 100, prefix: `fleet-pools-${T}` });
  const settings = fleetSettings({
    ...process.env, FLEET_PORT: '18097', FLEET_CORES: '2', FLEET_DESIRED: 'x86_64=1', FLEET_MIN: 'x86_64=1', FLEET_MAX: 'x86_64=1',
    FLEET_RESTART_BACKOFF_MS: '300', FLEET_START_TIMEOUT_MS: '90000', FLEET_DRAIN_TIMEOUT_MS: '60000',
  });
  const scaler = scalerSettings({
    SCALER_MODE: 'act', SCALER_SLOTS_PER_EXECUTOR: '2', SCALER_REFRESH_MINUTES: '5', SCALER_DEFAULT_SERVICE_MS: '100',
    WARM_POOL_MIN: '1', WARM_POOL_MAX: '6', WARM_POOL_START_MS: '500', WARM_POOL_HIT_TARGET: '0.99', WARM_POOL_LOOKAHEAD_MINUTES: '10',
  });
  svc = await startFleetService({
    kafka, registry, settings, token, logDir: path.join(root, 'services'), executorEnv: { ...testEnv, CONVEYOR_RUNTIMES_POOL_SIZE: '1', EXECUTOR_CONCURRENCY: '2' },
    scaler: { settings: scaler, source: httpScalerSource({ url: analytics.url, timeoutMs: 60000 }), now: () => clock, start: false },
  });
  await svc.converged(120000);
}, 300000);

afterAll(async () => {
  await svc?.stop();
  await analytics?.close();
  fs.rmSync(root, { recursive: true, force: true });
}, 240000);

const member = () => svc.control.list().classes.find((c) => c.hardwareClass === 'x86_64')!.members.find((m) => m.state === 'ready');
/** Every runs.pools record a manager wrote, read from the topic's start to its end. */
async function poolRecords(managerId: string): Promise<PoolSizes[]> {
  const admin = kafka.admin();
  await admin.connect();
  const [end] = await admin.fetchTopicOffsets(topics.pools.name).finally(() => admin.disconnect());
  const last = Number(end!.high) - 1;
  const out: PoolSizes[] = [];
  const consumer = kafka.consumer({ ...CONSUMER_FETCH_LIMITS, groupId: `fleet-pools-test-${randomUUID()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic: topics.pools.name, fromBeginning: true });
  let seenOffset = -1;
  await consumer.run({
    eachMessage: async ({ message }) => {
      const d = message.value ? await decodeValue(registry, message.value, topics.pools) : null;
      if (d?.ok && d.value.managerId === managerId) out.push(d.value);
      seenOffset = Number(message.offset);
    },
  });
  await until('runtimes.pools read to its end', () => seenOffset, (o) => o >= last, 30000).finally(() => consumer.disconnect());
  return out;
}

async function poolAt(minute: number): Promise<PoolSizeDecision> {
  clock = minute * 60000 + 30000;
  await svc.scaler!.tick();
  return svc.scaler!.pools.get('x86_64')!.find((d) => d.dependencySet === SET)!;
}

describe('warm pools from the forecast per dependency set', () => {
  const seen: PoolSizeDecision[] = [];

  it("sizes the set's pool for its quiet hours, and the executor's engine keeps that many warm", async () => {
    const first = await poolAt(T);
    seen.push(first);
    // 2 runs/min on one executor, 0.5 s per warm start: λT = 1/60, P(N ≥ 1) = 1.6% > 1%, so 2.
    expect(first).toMatchObject({ size: 2, reason: 'forecast' });
    expect(first.forecastRunsPerMinute!).toBeLessThan(10);
    const pools = await until('the executor to keep 2 warm for the set', () => member()?.warmPools?.[KEY], (p) => p?.target === 2 && p.size === 2);
    expect(pools).toEqual({ size: 2, target: 2 });
  }, 120000);

  it('grows the pool before the busy hour comes, on the forecast alone', async () => {
    const before: { minute: number; d: PoolSizeDecision }[] = [];
    for (let m = T + 1; m < T + RAMP; m++) {
      const d = await poolAt(m);
      seen.push(d);
      before.push({ minute: m, d });
    }
    // Before the busy hour: the forecast sees it coming (at least half of its 120 runs/min; the model's 5-minute
    // buckets and its daily season smooth the edge of the ramp) and the pool is sized for it: on one executor,
    // 80 runs/min is λT = 0.67 at 0.5 s a start, P(N ≥ 3) = 3%, P(N ≥ 4) = 0.5%: 4 against the quiet hours' 2.
    const full = before.at(-1)!;
    expect(full.d.reason).toBe('forecast');
    expect(full.d.forecastRunsPerMinute!).toBeGreaterThanOrEqual(60);
    expect(full.d.forecastMinute!).toBeGreaterThanOrEqual(T + RAMP - 5);
    expect(full.d.size).toBe(poolSizeFor(full.d.forecastRunsPerMinute! / 60, { warmStartSeconds: 0.5, hitTarget: 0.99 }));
    expect(full.d.size).toBeGreaterThanOrEqual(4);
    expect(full.d.explanation).toMatch(new RegExp(`^${SET}: ${full.d.size} warm per executor: the forecast \\(mstl-daily\\) expects`));
    // It grew as the ramp came into view (each refresh refits, so a step may go back), never before the lookahead could see it.
    expect(before.every((x) => x.d.size >= 2)).toBe(true);
    expect(before.find((x) => x.d.size > 2)!.minute).toBeGreaterThanOrEqual(T + RAMP - 10 - 5);
    expect(Math.floor(clock / 60000)).toBeLessThan(T + RAMP);
    // The real executor's pool for the set grows to it (a demand it has not seen yet: no run of the set came).
    const pools = await until('the executor to keep the grown pool warm for the set', () => member()?.warmPools?.[KEY], (p) => p?.target === full.d.size && p.size === full.d.size);
    expect(pools).toEqual({ size: full.d.size, target: full.d.size });
    // A set without history gets the floor. python-3.11-sci has none here unless a suite that ran before this one in
    // the same analytics store ran it (the suite's order changes with jest's timing cache): then it has a forecast.
    const sci = svc.scaler!.pools.get('x86_64')!.find((d) => d.dependencySet === 'python-3.11-sci')!;
    expect(['no_forecast', 'forecast']).toContain(sci.reason);
    if (sci.reason === 'no_forecast') expect(sci.size).toBe(1);
  }, 240000);

  it('recorded every pool decision as an ops.fleet event with its reasons, and published the sizes on runtimes.pools', async () => {
    const rows = await until(
      'every pool decision in fleet_events',
      () => analytics.warehouse.query<{ applied: number; reason: string; actor: string; inputs_json: string }>(
        "SELECT applied, reason, actor, inputs_json FROM fleet_events FINAL WHERE kind = 'pool_decision' AND manager_id = {m:String} ORDER BY at",
        { m: svc.managerId },
      ),
      (r) => r.length >= seen.length,
    );
    expect(rows).toHaveLength(seen.length);
    rows.forEach((r, i) => {
      const inputs = JSON.parse(r.inputs_json) as { minute: number; sizes: Record<string, number>; decisions: PoolSizeDecision[] };
      expect(inputs.sizes[SET]).toBe(seen[i]!.size);
      expect(inputs.decisions.find((d) => d.dependencySet === SET)).toMatchObject({ size: seen[i]!.size, reason: seen[i]!.reason });
      expect(r).toMatchObject({ applied: 1, actor: 'scaler', reason: expect.stringContaining(seen[i]!.explanation) });
    });
    const mine = await poolRecords(svc.managerId);
    // Written when the sizes change: the quiet hours' 2 first, then each size the decisions asked for.
    const published = mine.map((r) => r.sizes.find((s) => s.dependencySet === SET)!.size);
    expect(published[0]).toBe(2);
    expect(published.at(-1)).toBeGreaterThanOrEqual(4);
    expect(published).toEqual(seen.map((d) => d.size).filter((n, i, a) => i === 0 || n !== a[i - 1]));
  }, 120000);
});
