import path from 'node:path';
import { paths } from '../config/paths';
import { stopService, type RunningService } from '../services/launcher';
import { startExecutorProcess, startGatewayProcess } from '../services/processes';

/**
 * An executor and a gateway of the current tree on their own ports, so a
 * benchmark or a load test does not disturb a running `npm start`. The
 * executor joins the hardware class's consumer group like any other.
 */
export const BENCH_GATEWAY_PORT = 18280;

export interface BenchServices { url: string; services: RunningService[]; stop(): Promise<void> }

export async function startBenchServices(opts: { port?: number; env?: NodeJS.ProcessEnv; logDir?: string; onProgress?: (m: string) => void } = {}): Promise<BenchServices> {
  const port = opts.port ?? BENCH_GATEWAY_PORT;
  const logDir = opts.logDir ?? path.join(paths().state, 'bench-services');
  const env: NodeJS.ProcessEnv = {
    GATEWAY_PORT: String(port),
    // No analytics service is needed: nothing here reads the dashboard.
    ANALYTICS_URL: `http://127.0.0.1:${port + 10}`,
    LOG_LEVEL: 'warn',
    ...opts.env,
  };
  const say = opts.onProgress ?? (() => undefined);
  const running: RunningService[] = [];
  try {
    say(`starting executor-x86_64 (log ${logDir}/executor-x86_64-${port}.log)`);
    running.push(await startExecutorProcess({ logDir, name: `executor-x86_64-${port}`, hardwareClass: 'x86_64', env }));
    say(`starting gateway on 127.0.0.1:${port}`);
    running.push(await startGatewayProcess({ logDir, port, name: `gateway-${port}`, env }));
  } catch (err) {
    await Promise.all(running.map((r) => stopService(r)));
    throw err;
  }
  return {
    url: `http://127.0.0.1:${port}`,
    services: running,
    async stop() {
      for (const r of [...running].reverse()) await stopService(r);
    },
  };
}
