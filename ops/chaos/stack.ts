import path from 'node:path';
import { paths } from '../../topics/ground/paths';
import { stopService, type RunningService } from '../services/launcher';
import { startExecutorProcess, startGatewayProcess } from '../services/processes';

/**
 * The processes a chaos scenario starts and kills: gateways and executors of
 * this tree on chaos ports (18380…), with failover tuned for a test (6 s
 * session timeout) and client rate limits out of the way, so what a fault
 * does is all that is measured.
 */
export const CHAOS_GATEWAY_PORT = 18380;

export const CHAOS_ENV: NodeJS.ProcessEnv = {
  LOG_LEVEL: 'warn',
  ANALYTICS_URL: 'http://127.0.0.1:18390',
  EXECUTOR_SESSION_TIMEOUT_MS: '6000',
  RATE_RUNS_PER_MINUTE: '600000',
  RATE_RUNS_BURST: '10000',
  RATE_EDITS_PER_SECOND: '100000',
  RATE_EDITS_BURST: '100000',
  RATE_SESSIONS_PER_MINUTE: '100000',
  RATE_SESSIONS_BURST: '100000',
  MAX_CONNECTIONS_PER_ADDRESS: '0',
  MAX_SOCKETS_PER_CLIENT: '0',
};

export function chaosStack(o: { env?: NodeJS.ProcessEnv; logDir?: string; onProgress?: (m: string) => void } = {}) {
  const env = { ...CHAOS_ENV, ...o.env };
  const logDir = o.logDir ?? path.join(paths().state, 'chaos');
  const say = o.onProgress ?? (() => undefined);
  const running: RunningService[] = [];
  // Starts still under way: stopAll waits for them, so none comes up after it and stays behind.
  const starting = new Set<Promise<unknown>>();
  let executors = 0;
  const track = <T>(p: Promise<T>): Promise<T> => {
    starting.add(p);
    return p.finally(() => starting.delete(p));
  };

  return {
    env,
    logDir,
    running,
    /** Base URL of a gateway this stack started (the first one by default). */
    url: (port = CHAOS_GATEWAY_PORT) => `http://127.0.0.1:${port}`,
    async gateway(port = CHAOS_GATEWAY_PORT, extra: NodeJS.ProcessEnv = {}): Promise<RunningService> {
      const s = await track(startGatewayProcess({ logDir, port, name: `chaos-gateway-${port}`, env: { ...env, ...extra } }));
      running.push(s);
      say(`gateway on :${port} ready (pid ${s.child.pid})`);
      return s;
    },
    async executor(hardwareClass = 'x86_64', extra: NodeJS.ProcessEnv = {}): Promise<RunningService> {
      const s = await track(startExecutorProcess({ logDir, hardwareClass, name: `chaos-executor-${hardwareClass}-${++executors}`, env: { ...env, ...extra } }));
      running.push(s);
      say(`${s.name} ready (pid ${s.child.pid})`);
      return s;
    },
    executors: (hardwareClass = 'x86_64') => running.filter((s) => s.name.startsWith(`chaos-executor-${hardwareClass}-`) && s.child.exitCode === null && s.child.signalCode === null),
    /** kill -9: no drain, no commit, no goodbye to the group. */
    async kill(s: RunningService): Promise<void> {
      const exited = new Promise<void>((r) => (s.child.exitCode !== null || s.child.signalCode !== null ? r() : s.child.once('exit', () => r())));
      s.child.kill('SIGKILL');
      await exited;
      running.splice(running.indexOf(s), 1);
      say(`killed ${s.name} (kill -9)`);
    },
    async stop(s: RunningService): Promise<void> {
      await stopService(s, 20000);
      running.splice(running.indexOf(s), 1);
    },
    async stopAll(): Promise<void> {
      await Promise.allSettled([...starting]);
      // Gateways first (no new work), then the executors drain together.
      const gateways = running.filter((s) => s.name.includes('gateway'));
      await Promise.all(gateways.map((s) => stopService(s, 20000)));
      await Promise.all(running.filter((s) => !gateways.includes(s)).map((s) => stopService(s, 20000)));
      running.splice(0);
    },
  };
}
export type ChaosStack = ReturnType<typeof chaosStack>;
