import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../topics/ground/paths';
import { sleep } from '../../topics/ground/retry';

/**
 * Starts Conveyor's own processes (gateway, executors, analytics) as children
 * running TypeScript through tsx, each logging to a file, and waits until
 * each says it is ready. The same code serves `conveyor start` and the
 * end-to-end tests.
 */
export interface ServiceSpec {
  name: string;
  entry: string;
  env?: NodeJS.ProcessEnv;
  /** Resolves when the service answers; default: the child's IPC "ready" message. */
  ready?: () => Promise<boolean>;
  timeoutMs?: number;
  /** Every IPC message the child sends, from its first moment (ready or not). */
  onMessage?: (m: unknown) => void;
  /**
   * CPU priority (nice, 0-19) for background work that shares the machine with the run path: the
   * process starts under `nice`, so every thread it ever makes (native ones included) has it.
   */
  nice?: number;
}

export interface RunningService { name: string; child: ChildProcess; log: string }

export async function startService(spec: ServiceSpec, logDir: string): Promise<RunningService> {
  fs.mkdirSync(logDir, { recursive: true });
  const log = path.join(logDir, `${spec.name}.log`);
  const out = fs.openSync(log, 'a');
  // CONVEYOR_PROFILE_DIR=dir: each service writes a V8 CPU profile there when it exits (Chrome DevTools opens it).
  const execArgv = ['--require', 'tsx/cjs', ...(process.env.CONVEYOR_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.CONVEYOR_PROFILE_DIR}`, `--cpu-prof-name=${spec.name}-${Date.now()}.cpuprofile`] : [])];
  const node = [process.execPath, ...execArgv, path.join(repoRoot, spec.entry)];
  // What fork() does (node with an IPC channel), optionally through nice(1), which execs in place: the pid is node's.
  const [command, ...args] = spec.nice ? ['nice', '-n', String(spec.nice), ...node] : node;
  const child = spawn(command!, args, { cwd: repoRoot, env: { ...process.env, ...spec.env }, stdio: ['ignore', out, out, 'ipc'] });
  fs.closeSync(out);
  if (spec.onMessage) child.on('message', spec.onMessage);
  const timeoutMs = spec.timeoutMs ?? 120000;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${spec.name} was not ready within ${timeoutMs} ms; see ${log}`)), timeoutMs);
    const fail = (code: number | null) => {
      clearTimeout(timer);
      const tail = fs.readFileSync(log, 'utf8').trimEnd().split('\n').slice(-20).join('\n');
      reject(new Error(`${spec.name} exited during start-up (code ${code}). Last lines of ${log}:\n${tail}`));
    };
    child.once('exit', fail);
    const done = () => {
      clearTimeout(timer);
      child.off('exit', fail);
      resolve();
    };
    if (spec.ready) {
      const poll = async () => {
        while (child.exitCode === null) {
          if (await spec.ready!().catch(() => false)) return done();
          await sleep(250);
        }
      };
      void poll();
    } else {
      child.on('message', (m: { ready?: boolean }) => m?.ready && done());
    }
  });
  return { name: spec.name, child, log };
}

/** SIGTERM (drain), then SIGKILL after graceMs. */
export async function stopService(s: RunningService, graceMs = 20000): Promise<void> {
  if (s.child.exitCode !== null || s.child.signalCode !== null) return;
  const exited = new Promise<void>((r) => s.child.once('exit', () => r()));
  s.child.kill('SIGTERM');
  const timer = setTimeout(() => s.child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export const httpReady = (url: string) => async () => (await fetch(url, { signal: AbortSignal.timeout(1000) })).ok;
