import { fork } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../topics/ground/paths';
import type { Launcher } from './local-actuator';

/**
 * Executor processes for the local actuator: `consumers/executor/main.ts`
 * forked with the member's id and class, logging to `<logDir>/<member>.log`.
 * The executor's IPC messages say when it is ready and what it holds; CPU use
 * comes from /proc (the process and the sandboxes it has reaped).
 */
const TICKS_PER_S = 100;

function cpuTicks(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime, stime, cutime, cstime: fields 14–17, i.e. 11–14 after the command name.
    return [11, 12, 13, 14].reduce((sum, i) => sum + Number(f[i]), 0);
  } catch {
    return null;
  }
}

export function processLauncher(o: { logDir: string; env?: NodeJS.ProcessEnv; reportEveryMs?: number }): Launcher {
  return ({ memberId, hardwareClass }, hooks) => {
    fs.mkdirSync(o.logDir, { recursive: true });
    const out = fs.openSync(path.join(o.logDir, `${memberId}.log`), 'a');
    const child = fork(path.join(repoRoot, 'consumers/executor/main.ts'), [], {
      cwd: repoRoot,
      env: { ...process.env, ...o.env, EXECUTOR_HARDWARE_CLASS: hardwareClass, EXECUTOR_ID: memberId },
      execArgv: ['--require', 'tsx/cjs'],
      stdio: ['ignore', out, out, 'ipc'],
    });
    fs.closeSync(out);
    let last: { t: number; ticks: number } | null = null;
    const sample = setInterval(() => {
      const ticks = child.pid ? cpuTicks(child.pid) : null;
      if (ticks === null) return;
      const t = Date.now();
      if (last) hooks.report({ cpuCores: Math.round(((ticks - last.ticks) / TICKS_PER_S / ((t - last.t) / 1000)) * 100) / 100 });
      last = { t, ticks };
    }, o.reportEveryMs ?? 2000);
    sample.unref();
    child.on('message', (m: { ready?: boolean; report?: { runsInFlight?: number; partitions?: number[] }; warmPools?: Record<string, { size: number; target?: number }> }) => {
      if (m?.ready) hooks.ready();
      if (m?.report) hooks.report({ runsInFlight: m.report.runsInFlight, partitions: m.report.partitions });
      // Sent by the executor's pool-size follower (consumers/executor/pool-sizes.ts).
      if (m?.warmPools) hooks.report({ warmPools: Object.fromEntries(Object.entries(m.warmPools).map(([k, v]) => [k, { size: v.size, target: v.target ?? null }])) });
    });
    child.once('exit', (code, signal) => {
      clearInterval(sample);
      hooks.exit(code, signal);
    });
    return {
      pid: child.pid ?? null,
      terminate: () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      },
      kill: () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      },
    };
  };
}
