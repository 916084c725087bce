import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pidAlive } from '../../topics/ground/pid';
import { sleep } from '../../topics/ground/retry';

/**
 * A background program that `conveyor up` starts and `conveyor down` stops:
 * detached in its own process group, logging to a file under the state dir,
 * remembered by pid, health-checked before start() returns.
 */
export interface ManagedProcessSpec {
  name: string;
  dir: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** Resolves true once the program answers; polled until startTimeoutMs. */
  healthy: () => Promise<boolean>;
  startTimeoutMs: number;
  prepare?: () => Promise<void>;
  /** false: stays in our process group, so a Ctrl-C of a test run stops it too. Default true (outlives `conveyor up`). */
  detached?: boolean;
}

export class InfraError extends Error {
  constructor(readonly code: 'start_failed' | 'start_timeout' | 'port_in_use', message: string) {
    super(message);
    this.name = 'InfraError';
  }
}

export type ProcessState = { name: string; running: boolean; healthy: boolean; pid: number | null; log: string };

export function logTail(file: string, lines = 30): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export function managedProcess(spec: ManagedProcessSpec) {
  const pidFile = path.join(spec.dir, `${spec.name}.pid`);
  const logFile = path.join(spec.dir, `${spec.name}.log`);

  /** The pid we started, if it is still that program (pids are recycled). */
  function ownPid(): number | null {
    let pid: number;
    try {
      pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
    } catch {
      return null;
    }
    if (!pid || !pidAlive(pid)) return null;
    try {
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!cmdline.includes(spec.dir)) return null;
    } catch {
      return null;
    }
    return pid;
  }

  async function isHealthy(): Promise<boolean> {
    try {
      return await spec.healthy();
    } catch {
      return false;
    }
  }

  return {
    name: spec.name,
    logFile,
    async state(): Promise<ProcessState> {
      const pid = ownPid();
      return { name: spec.name, running: pid !== null, healthy: pid !== null && (await isHealthy()), pid, log: logFile };
    },
    /** Starts the program unless ours is already running; returns whether it started it. */
    async start(onProgress: (msg: string) => void = () => {}): Promise<{ started: boolean; ms: number }> {
      const t0 = Date.now();
      fs.mkdirSync(spec.dir, { recursive: true });
      if (ownPid() !== null) {
        if (await waitHealthy(Math.min(spec.startTimeoutMs, 30000))) return { started: false, ms: Date.now() - t0 };
      }
      if (await isHealthy()) {
        throw new InfraError('port_in_use', `${spec.name}: something not started by conveyor already answers on its port; stop it or change the port.`);
      }
      await spec.prepare?.();
      const out = fs.openSync(logFile, 'a');
      const child = spawn(spec.command, spec.args, { cwd: spec.dir, env: spec.env ?? process.env, detached: spec.detached ?? true, stdio: ['ignore', out, out] });
      fs.closeSync(out);
      let exit: { code: number | null; signal: string | null } | null = null;
      child.once('exit', (code, signal) => (exit = { code, signal }));
      child.unref();
      fs.writeFileSync(pidFile, String(child.pid));
      onProgress(`${spec.name}: starting (pid ${child.pid}, log ${logFile})`);
      while (Date.now() - t0 < spec.startTimeoutMs) {
        if (exit) {
          fs.rmSync(pidFile, { force: true });
          const e = exit as { code: number | null; signal: string | null };
          throw new InfraError('start_failed', `${spec.name} exited during start-up (code ${e.code}, signal ${e.signal}). Last lines of ${logFile}:\n${logTail(logFile)}`);
        }
        if (await isHealthy()) return { started: true, ms: Date.now() - t0 };
        await sleep(200);
      }
      throw new InfraError('start_timeout', `${spec.name} did not become healthy within ${spec.startTimeoutMs} ms. Last lines of ${logFile}:\n${logTail(logFile)}`);

      async function waitHealthy(ms: number) {
        const until = Date.now() + ms;
        while (Date.now() < until) {
          if (await isHealthy()) return true;
          if (ownPid() === null) return false;
          await sleep(200);
        }
        return false;
      }
    },
    /** Stops exactly the process group we started; returns whether one was running. */
    async stop(graceMs = 15000): Promise<boolean> {
      const pid = ownPid();
      if (pid === null) {
        fs.rmSync(pidFile, { force: true });
        return false;
      }
      const signalGroup = (sig: NodeJS.Signals) => {
        try {
          process.kill(-pid, sig);
        } catch {
          try {
            process.kill(pid, sig);
          } catch {
            /* already gone */
          }
        }
      };
      signalGroup('SIGTERM');
      const until = Date.now() + graceMs;
      while (pidAlive(pid) && Date.now() < until) await sleep(100);
      if (pidAlive(pid)) signalGroup('SIGKILL');
      while (pidAlive(pid)) await sleep(50);
      fs.rmSync(pidFile, { force: true });
      return true;
    },
  };
}

export type ManagedProcess = ReturnType<typeof managedProcess>;
