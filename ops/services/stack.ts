import path from 'node:path';
import { paths } from '../../topics/ground/paths';
import { gatewaySettings } from '../../producers/gateway/settings';
import { analyticsSettings } from '../../analytics/config';
import { httpReady, startService, stopService, type RunningService } from './launcher';
import { startFleetProcess, startGatewayProcess } from './processes';

/**
 * The whole service on one machine: the analytics service (owns ClickHouse),
 * the fleet manager (which runs and heals the executors of each hardware
 * class, ops/fleet), and a gateway.
 */
export async function startStack(opts: { executors?: string[]; analytics?: boolean; env?: NodeJS.ProcessEnv; onProgress?: (m: string) => void } = {}) {
  const env = { ...process.env, ...opts.env };
  const logDir = path.join(paths(env).state, 'services');
  const gw = gatewaySettings(env);
  const analyticsPort = Number(new URL(gw.ANALYTICS_URL).port || 80);
  const running: RunningService[] = [];
  const say = opts.onProgress ?? (() => {});
  try {
    const starts: Promise<RunningService>[] = [];
    if (opts.analytics !== false) {
      starts.push(startService({ name: 'analytics', entry: 'consumers/sink/main.ts', env: { ...opts.env, ANALYTICS_PORT: String(analyticsPort) }, nice: analyticsSettings(env).nice, ready: httpReady(`${gw.ANALYTICS_URL}/metrics`) }, logDir));
    }
    // --executors names the classes to run one executor each at start, unless FLEET_DESIRED says more.
    const desired = env.FLEET_DESIRED || (opts.executors ?? ['x86_64', 'arm64']).map((hw) => `${hw}=1`).join(',');
    starts.push(startFleetProcess({ logDir, env: { ...opts.env, FLEET_DESIRED: desired, ANALYTICS_URL: gw.ANALYTICS_URL } }));
    for (const s of starts) {
      const r = await s;
      running.push(r);
      say(`${r.name} ready (log ${r.log})`);
    }
    const gateway = await startGatewayProcess({ logDir, host: gw.GATEWAY_HOST, port: gw.GATEWAY_PORT, env: opts.env });
    running.push(gateway);
    say(`gateway ready (log ${gateway.log})`);
  } catch (err) {
    await Promise.all(running.map((r) => stopService(r)));
    throw err;
  }
  return {
    url: `http://${gw.GATEWAY_HOST}:${gw.GATEWAY_PORT}`,
    services: running,
    async stop() {
      // Gateway first (no new work), then the fleet drains its executors, then analytics flushes.
      for (const name of ['gateway', 'fleet', 'analytics']) {
        // The fleet waits for its executors' drains, which the longest run bounds (FLEET_DRAIN_TIMEOUT_MS).
        await Promise.all(running.filter((r) => r.name.startsWith(name)).map((r) => stopService(r, name === 'fleet' ? 170000 : undefined)));
      }
    },
  };
}
