import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { repoRoot } from '../../topics/ground/paths';

/**
 * `npm start` as a developer runs it, stopped the two ways npm is stopped by
 * others: SIGTERM to npm (a terminal closing, a process manager), and npm
 * killed outright (SIGKILL: nothing is passed on). Either way no Conveyor
 * process it started may remain, and its ports are free again. The services
 * listen on ports of their own (not 8080/8090/8095), so a developer's own
 * `npm start` is not touched.
 */
const ports = { gateway: 18180, analytics: 18190, fleet: 18195 };
const env = {
  ...process.env,
  GATEWAY_PORT: String(ports.gateway),
  ANALYTICS_URL: `http://127.0.0.1:${ports.analytics}`,
  FLEET_PORT: String(ports.fleet),
  FLEET_DESIRED: 'x86_64=1',
  EXPORT_ENABLED: 'false',
  LOG_LEVEL: 'warn',
};
let npm: ChildProcess | undefined;

afterEach(() => {
  // A failed test must not leave its stack running: npm was started in a process group of its own.
  if (npm?.pid) {
    try {
      process.kill(-npm.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
});

/** Every live descendant of a process, from /proc (zombies count as gone). */
function descendants(root: number): { pid: number; cmd: string }[] {
  const procs = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).flatMap((d) => {
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const [, state, ppid] = /\) (\S) (\d+)/.exec(stat)!;
      return [{ pid: Number(d), ppid: Number(ppid), state: state!, cmd: fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0/g, ' ').trim() }];
    } catch {
      return [];
    }
  });
  const out: { pid: number; cmd: string }[] = [];
  const walk = (p: number) => {
    for (const c of procs.filter((x) => x.ppid === p && x.state !== 'Z')) {
      out.push({ pid: c.pid, cmd: c.cmd });
      walk(c.pid);
    }
  };
  walk(root);
  return out;
}
const alive = (pid: number) => {
  try {
    return !/\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};
const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
async function until(what: string, ok: () => boolean | Promise<boolean>, ms: number, detail: () => string = () => '') {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what} ${detail()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function startNpm(): Promise<{ pid: number; output: () => string }> {
  npm = spawn('npm', ['start', '--', '--executors', 'x86_64'], { cwd: repoRoot, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  npm.stdout!.on('data', (d) => (output += d.toString()));
  npm.stderr!.on('data', (d) => (output += d.toString()));
  await until('npm start to report Conveyor running', () => output.includes('Conveyor is running') || npm!.exitCode !== null, 300000);
  expect(output).toContain('Conveyor is running');
  return { pid: npm.pid!, output: () => output };
}

describe('npm start', () => {
  it.each(['SIGTERM', 'SIGKILL'] as const)('leaves no Conveyor process and frees its ports when npm gets %s', async (signal) => {
    const { pid, output } = await startNpm();
    const started = descendants(pid);
    const entries = ['ops/cli/bin.cjs start', 'producers/gateway/main.ts', 'ops/fleet/main.ts', 'consumers/sink/main.ts', 'consumers/executor/main.ts'];
    for (const e of entries) expect(started.map((p) => p.cmd).join('\n')).toContain(e);
    for (const p of Object.values(ports)) expect(await listening(p)).toBe(true);

    process.kill(pid, signal);
    // Generous: the fleet drains its executor (no runs in flight) and analytics flushes, on a loaded machine.
    await until('every process npm start started to exit', () => started.every((p) => !alive(p.pid)), 180000, () => `\nstill running:\n${started.filter((p) => alive(p.pid)).map((p) => `${p.pid} ${p.cmd}`).join('\n')}\n${output().slice(-2000)}`);
    for (const [name, p] of Object.entries(ports)) expect({ name, listening: await listening(p) }).toEqual({ name, listening: false });
  }, 600000);
});
