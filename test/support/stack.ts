import path from 'node:path';
import { paths } from '../../topics/ground/paths';
import { stopService, type RunningService } from '../../ops/services/launcher';
import { startExecutorProcess, startGatewayProcess } from '../../ops/services/processes';

/** Real executor and gateway processes for end-to-end tests, on test ports. */
export const TEST_GATEWAY_PORT = 18080;
export const gatewayUrl = `http://127.0.0.1:${TEST_GATEWAY_PORT}`;
export const wsUrl = `ws://127.0.0.1:${TEST_GATEWAY_PORT}/ws/editor`;
const logDir = path.join(paths().state, 'test-services');

export const testEnv: NodeJS.ProcessEnv = {
  GATEWAY_PORT: String(TEST_GATEWAY_PORT),
  ANALYTICS_URL: 'http://127.0.0.1:18090',
  EXECUTOR_SESSION_TIMEOUT_MS: '6000',
  LOG_LEVEL: 'warn',
  RATE_RUNS_PER_MINUTE: '6000',
  RATE_RUNS_BURST: '200',
  // The webhook test listens on loopback.
  WEBHOOK_ALLOW_PRIVATE: 'true',
};

export function startExecutor(name = 'executor-x86_64', env: NodeJS.ProcessEnv = {}): Promise<RunningService> {
  return startExecutorProcess({ logDir, name, env: { ...testEnv, ...env } });
}

export function startGateway(env: NodeJS.ProcessEnv = {}): Promise<RunningService> {
  const port = Number(env.GATEWAY_PORT ?? TEST_GATEWAY_PORT);
  return startGatewayProcess({ logDir, port, name: `gateway-${port}`, env: { ...testEnv, ...env } });
}

export { stopService };

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, headers: res.headers, json };
}
