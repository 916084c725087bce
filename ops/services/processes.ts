import { httpReady, startService, type RunningService } from './launcher';

/**
 * Conveyor's own processes as children: what `conveyor start`, the tests and
 * the benchmarks all start, in one place.
 */
export function startExecutorProcess(o: { logDir: string; hardwareClass?: string; name?: string; env?: NodeJS.ProcessEnv; onMessage?: (m: unknown) => void }): Promise<RunningService> {
  const hw = o.hardwareClass ?? o.env?.EXECUTOR_HARDWARE_CLASS ?? 'x86_64';
  return startService({ name: o.name ?? `executor-${hw}`, entry: 'consumers/executor/main.ts', env: { ...o.env, EXECUTOR_HARDWARE_CLASS: hw }, onMessage: o.onMessage }, o.logDir);
}

export function startGatewayProcess(o: { logDir: string; host?: string; port: number; name?: string; env?: NodeJS.ProcessEnv }): Promise<RunningService> {
  const host = o.host ?? '127.0.0.1';
  return startService(
    { name: o.name ?? 'gateway', entry: 'producers/gateway/main.ts', env: { ...o.env, GATEWAY_PORT: String(o.port) }, ready: httpReady(`http://${host}:${o.port}/healthz`) },
    o.logDir,
  );
}

/** The fleet manager; its executors (local actuator) are its children. Ready once every class has its desired members ready. */
export function startFleetProcess(o: { logDir: string; name?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<RunningService> {
  return startService({ name: o.name ?? 'fleet', entry: 'ops/fleet/main.ts', env: o.env, timeoutMs: o.timeoutMs ?? 180000 }, o.logDir);
}
