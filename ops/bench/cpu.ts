import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseMounts } from '../../runtimes/cgroup';

/**
 * CPU per hop from /proc accounting: for each named process (and its
 * descendants, minus the subtrees another name claims) utime+stime from
 * /proc/<pid>/stat, for the sandboxes the cpuacct (v1) or cpu.stat (v2)
 * counter of the executor's run-cgroup parent, which every sandbox nests in
 * and which keeps counting after a sandbox's own cgroup is removed.
 * Processes that start and exit inside a window are missed (none of the
 * named ones do; sandboxes are counted by their cgroup).
 */
export interface CpuRoots {
  /** name → root pid; a root's descendants count towards it unless claimed by another root. */
  processes: Record<string, number | undefined>;
  /** A root counted without its descendants (the spawner: its children are sandboxes). */
  selfOnly?: string[];
  /** name → a cgroup directory whose CPU counter to read (v1 cpuacct dir or v2 dir). */
  cgroups?: Record<string, string | undefined>;
}

export type CpuSnapshot = { at: number; ms: Record<string, number>; machineMs: number };

const TICK_MS = 1000 / 100; // USER_HZ is 100 on Linux

function statTicks(pid: number): number {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command (which may contain spaces) start after the last ')'.
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]); // utime, stime (fields 14 and 15)
  } catch {
    return 0;
  }
}

function children(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const t of fs.readdirSync(`/proc/${pid}/task`)) {
      const c = fs.readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim();
      if (c) out.push(...c.split(' ').map(Number));
    }
  } catch {
    /* gone */
  }
  return out;
}

/** The children (recursively) of pid whose command line matches re. */
export function findDescendant(pid: number, re: RegExp): number | undefined {
  const stack = children(pid);
  while (stack.length) {
    const p = stack.pop()!;
    try {
      if (re.test(fs.readFileSync(`/proc/${p}/cmdline`, 'utf8'))) return p;
    } catch {
      continue;
    }
    stack.push(...children(p));
  }
  return undefined;
}

function cgroupCpuMs(dir: string): number {
  try {
    const v1 = path.join(dir, 'cpuacct.usage');
    if (fs.existsSync(v1)) return Number(fs.readFileSync(v1, 'utf8').trim()) / 1e6;
    const m = /usage_usec (\d+)/.exec(fs.readFileSync(path.join(dir, 'cpu.stat'), 'utf8'));
    return m ? Number(m[1]) / 1000 : 0;
  } catch {
    return 0;
  }
}

/** The CPU-accounting directory of `<pid's cgroup>/<child>` (v1 cpuacct hierarchy, or v2). */
export function cgroupDirOf(pid: number, child: string): string | undefined {
  let text = '';
  try {
    text = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8');
  } catch {
    return undefined;
  }
  const mounts = parseMounts(fs.readFileSync('/proc/self/mountinfo', 'utf8'));
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    const ctls = m[2]!.split(',');
    const v1 = mounts.v1.get('cpuacct');
    if (v1 && ctls.includes('cpuacct')) return path.join(v1, m[3]!, child);
    if (!mounts.v1.size && m[1] === '0' && mounts.v2) return path.join(mounts.v2, m[3]!, child);
  }
  return undefined;
}

function machineMs(): number {
  const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.split(/\s+/).slice(1).map(Number);
  // user nice system (idle iowait skipped) irq softirq steal
  return (cpu[0]! + cpu[1]! + cpu[2]! + cpu[5]! + cpu[6]! + cpu[7]!) * TICK_MS;
}

export function cpuSnapshot(roots: CpuRoots): CpuSnapshot {
  const claimed = new Map<number, string>();
  for (const [name, pid] of Object.entries(roots.processes)) if (pid) claimed.set(pid, name);
  const selfOnly = new Set(roots.selfOnly ?? []);
  const ms: Record<string, number> = {};
  for (const [name, pid] of Object.entries(roots.processes)) {
    if (!pid) continue;
    let ticks = 0;
    const stack = [pid];
    while (stack.length) {
      const p = stack.pop()!;
      ticks += statTicks(p);
      if (selfOnly.has(name)) break;
      for (const c of children(p)) if (!claimed.has(c)) stack.push(c);
    }
    ms[name] = ticks * TICK_MS;
  }
  for (const [name, dir] of Object.entries(roots.cgroups ?? {})) if (dir) ms[name] = cgroupCpuMs(dir);
  ms['bench client'] = (process.cpuUsage().user + process.cpuUsage().system) / 1000;
  return { at: performance.now(), ms, machineMs: machineMs() };
}

/** CPU ms per run of each process between two snapshots, plus the rest of the machine. */
export function cpuPerRun(a: CpuSnapshot, b: CpuSnapshot, runs: number): { perRun: Record<string, number>; total: number; other: number; seconds: number; cores: number } {
  const perRun: Record<string, number> = {};
  let ours = 0;
  for (const k of Object.keys(b.ms)) {
    const d = Math.max(0, b.ms[k]! - (a.ms[k] ?? 0));
    ours += d;
    perRun[k] = runs ? d / runs : 0;
  }
  const machine = Math.max(0, b.machineMs - a.machineMs);
  const seconds = (b.at - a.at) / 1000;
  return { perRun, total: runs ? ours / runs : 0, other: runs ? Math.max(0, machine - ours) / runs : 0, seconds, cores: os.cpus().length };
}
