import fs from 'node:fs';
import path from 'node:path';
import { openWarehouse } from '../../analytics/warehouse';
import { paths } from '../../topics/ground/paths';
import { sleep } from '../../topics/ground/retry';
import { apicurioRegistry } from '../infra/registry/apicurio';
import { infraSettings } from '../infra/settings';
import { httpReady, startService, stopService, type RunningService } from '../services/launcher';
import type { ChaosRow } from './measure';
import type { PeopleReport } from './people';
import { CHAOS_GATEWAY_PORT, chaosStack, type ChaosStack } from './stack';
import { underLoad, waitFor } from './under-load';

/**
 * Outages of the services around the pipeline, each under steady editor
 * load: the schema registry stopped (records keep flowing on cached schemas;
 * a decode that needs the registry waits, never dead-letters), the analytics
 * service stopped (results wait in Kafka; afterwards ClickHouse holds each
 * run exactly once), and a gateway killed with sessions open (its clients
 * resume on another gateway and ask again for the runs they were waiting for).
 * Each takes a stack of its own, or shares the caller's.
 */
type Say = (m: string) => void;

async function withStack<T>(given: ChaosStack | undefined, say: Say, f: (s: ChaosStack) => Promise<T>, extra: NodeJS.ProcessEnv = {}): Promise<T> {
  if (given) return f(given);
  const stack = chaosStack({ env: extra, onProgress: say });
  try {
    // The gateway needs no executor to start: both at once.
    await Promise.all([stack.executor('x86_64'), stack.gateway()]);
    return await f(stack);
  } finally {
    await stack.stopAll();
  }
}

export async function registryOutage(o: { downMs: number; people: number; stack?: ChaosStack; onProgress?: Say }): Promise<ChaosRow> {
  const say = o.onProgress ?? (() => undefined);
  const s = infraSettings();
  if (!s.localRegistry) throw Object.assign(new Error('chaos: the registry outage needs the local registry of `conveyor up` (SCHEMA_REGISTRY_URL is set)'), { code: 'not_local' });
  const registry = apicurioRegistry(s);
  return withStack(o.stack, say, (stack) =>
    underLoad({ scenario: 'schema registry down', note: `down ${o.downMs / 1000} s`, urls: [stack.url()], people: o.people, onProgress: say }, async (fault) => {
      fault('registry stopped');
      await registry.stop();
      try {
        await sleep(o.downMs);
      } finally {
        await registry.start(say);
        say('registry started again');
      }
    }),
  );
}

export const CHAOS_ANALYTICS_PORT = 18390;

/** The analytics service of a scenario: its own ClickHouse data dir, sink only. */
function analyticsService(dir: string, logDir: string): Promise<RunningService> {
  const env = { LOG_LEVEL: 'warn', CONVEYOR_STATE_DIR: dir, ANALYTICS_PORT: String(CHAOS_ANALYTICS_PORT), EXPORT_ENABLED: 'false', FLEET_REPORT_ENABLED: 'false' };
  return startService({ name: 'chaos-analytics', entry: 'consumers/sink/main.ts', env, ready: httpReady(`http://127.0.0.1:${CHAOS_ANALYTICS_PORT}/healthz`), timeoutMs: 180_000 }, logDir);
}

/** The sink's lag, as measured after `since` (its lag is measured every few seconds; an older figure may predate the last results). */
async function sinkLag(since: number): Promise<number | null> {
  const res = await fetch(`http://127.0.0.1:${CHAOS_ANALYTICS_PORT}/api/stats/lag`, { signal: AbortSignal.timeout(3000) }).catch(() => null);
  if (!res?.ok) return null;
  const st = (await res.json()) as { totalLag: number | null; lagCheckedAt: number | null };
  return (st.lagCheckedAt ?? 0) > since ? st.totalLag : null;
}

export interface AnalyticsOutageRow extends ChaosRow { rowsStored: number; distinctRuns: number; requestsStored: number }

/**
 * Stops the analytics service for `downMs` under load, starts it again, waits
 * for the sink to catch up, then counts in ClickHouse: every answered run of
 * the scenario stored once (rows = distinct run ids = answered runs), every
 * accepted request once.
 */
export async function analyticsOutage(o: { downMs: number; people: number; stack?: ChaosStack; onProgress?: Say }): Promise<AnalyticsOutageRow> {
  const say = o.onProgress ?? (() => undefined);
  const dir = path.join(paths().state, 'chaos-analytics');
  fs.rmSync(dir, { recursive: true, force: true });
  const logDir = path.join(paths().state, 'chaos');
  let analytics = await analyticsService(dir, logDir);
  try {
    let report: PeopleReport | undefined;
    const row = await withStack(o.stack, say, (stack) =>
      underLoad({ scenario: 'analytics down', note: `down ${o.downMs / 1000} s`, urls: [stack.url()], people: o.people, onProgress: say, onReport: (r) => (report = r) }, async (fault) => {
        fault('analytics service stopped');
        await stopService(analytics, 20000);
        await sleep(o.downMs);
        analytics = await analyticsService(dir, logDir);
        say('analytics service started again');
      }),
    );
    const runs = { answered: report!.runs.filter((r) => r.answeredAt).map((r) => r.runId), accepted: report!.runs.map((r) => r.runId) };
    // Caught up: no lag left (the people stopped, so nothing new arrives).
    const stoppedAt = Date.now();
    await waitFor(async () => (await sinkLag(stoppedAt)) === 0, 180_000, 'sink catching up');
    await stopService(analytics, 30000);
    const wh = await openWarehouse({ dataDir: path.join(dir, 'clickhouse') });
    try {
      const ids = `(${runs.answered.map((r) => `'${r}'`).join(',')})`;
      const q = async (sql: string) => Number((await wh.query<{ n: string }>(sql))[0]?.n ?? 0);
      const rowsStored = await q(`SELECT count() AS n FROM runs WHERE run_id IN ${ids}`);
      const distinctRuns = await q(`SELECT uniqExact(run_id) AS n FROM runs WHERE run_id IN ${ids}`);
      const requestsStored = await q(`SELECT count() AS n FROM run_requests WHERE run_id IN (${runs.accepted.map((r) => `'${r}'`).join(',')})`);
      const lost = runs.answered.length - distinctRuns;
      return { ...row, rowsStored, distinctRuns, requestsStored, note: `${row.note}; ClickHouse: ${rowsStored} result rows for ${runs.answered.length} answered runs (${lost} missing, ${rowsStored - distinctRuns} doubled), ${requestsStored} request rows for ${runs.accepted.length}` };
    } finally {
      await wh.close();
    }
  } finally {
    await stopService(analytics, 30000);
  }
}

/**
 * Two gateways share the people; the first is killed with kill -9 while its
 * sessions are open and started again after `downMs`. Its people reconnect
 * to the other, resume with the text on screen and send their pending run
 * again under the same run id.
 */
export async function gatewayKill(o: { kills: number; downMs: number; people: number; stack?: ChaosStack; onProgress?: Say }): Promise<ChaosRow> {
  const say = o.onProgress ?? (() => undefined);
  return withStack(o.stack, say, async (stack) => {
    const second = CHAOS_GATEWAY_PORT + 1;
    // A second gateway the caller's stack already runs is used as it is (one start less in CI).
    let other = stack.running.find((s) => s.name === `chaos-gateway-${second}`) ?? (await stack.gateway(second));
    try {
      return await underLoad({ scenario: 'gateway kill -9', note: `${o.kills}× one of 2 gateways, down ${o.downMs / 1000} s`, urls: [stack.url(), stack.url(second)], people: o.people, onProgress: say }, async (fault) => {
        for (let k = 0; k < o.kills; k++) {
          const port = k % 2 === 0 ? CHAOS_GATEWAY_PORT : second;
          const victim = stack.running.find((s) => s.name === `chaos-gateway-${port}`)!;
          fault(`kill -9 ${victim.name}`);
          await stack.kill(victim);
          await sleep(o.downMs);
          const again = await stack.gateway(port);
          if (port === second) other = again;
        }
      });
    } finally {
      if (!o.stack) await stack.stop(other).catch(() => undefined);
    }
  });
}
