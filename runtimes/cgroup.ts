import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pidAlive } from '../topics/ground/pid';
import { sleep } from '../topics/ground/retry';

/**
 * One cgroup per sandbox: memory (+swap), pids and CPU limits, CPU and peak
 * memory accounting, OOM detection and kill-everything. cgroup v1 (one
 * hierarchy per controller) and v2 (unified) hide behind the same interface.
 */
export interface CgroupLimits { memoryBytes: number; pids: number; cpuCores: number }
export interface CgroupUsage { cpuMs: number; peakMemoryBytes: number }

export interface RunCgroup {
  /** Files a new process writes its pid into to join every controller. */
  readonly procsFiles: string[];
  setLimits(l: CgroupLimits): void;
  /** Idle warm sandboxes yield the CPU to running programs. */
  setIdle(idle: boolean): void;
  /** Start accounting afresh (a warm sandbox is charged only for the run). */
  resetAccounting(): void;
  usage(): CgroupUsage;
  oomKilled(): boolean;
  pids(): number[];
  killAll(): Promise<void>;
  destroy(): Promise<void>;
  /**
   * Done with it once its process has exited: when it ended clean (no process left, never at its
   * memory limit, never OOM-killed), the cgroup goes back to the factory's spares with its accounting
   * reset; otherwise everything left in it is killed and it is removed. Either way this handle is
   * dead from then on: every later call on it does nothing, so a late kill cannot reach the next user.
   */
  recycle(): Promise<void>;
}

/** What the factories below make: a run cgroup that can say whether it may serve again, and be renewed. */
export interface ReusableCgroup extends Omit<RunCgroup, 'recycle'> {
  /** No process in any controller, never at its memory limit, no OOM kill, not frozen. */
  clean(): boolean;
  /** Ready for its next user: the CPU weight of a new cgroup, accounting from zero. */
  renew(): void;
}

export interface BaseFactory {
  readonly version: 1 | 2;
  create(name: string): ReusableCgroup;
  children(): string[];
  close(): void;
}

export interface CgroupFactory {
  readonly version: 1 | 2;
  /** A cgroup of its own for one sandbox: new, or a clean one recycled (its limits are the last user's until setLimits). */
  create(name: string): RunCgroup;
  /** Names of existing run cgroups under the parent. */
  children(): string[];
  close(): void;
}

const read = (f: string): string => {
  try {
    return fs.readFileSync(f, 'utf8');
  } catch {
    return '';
  }
};
const write = (f: string, v: string | number): boolean => {
  try {
    fs.writeFileSync(f, String(v));
    return true;
  } catch {
    return false;
  }
};

/**
 * A run cgroup's control files, each opened once and then read and written at offset 0: opening a
 * cgroup file costs ~8 us of the engine's CPU, a pread or pwrite on an open one ~1-2 us, and a
 * stage reads and writes some twenty of them. Not `cgroup.procs`, which read() reopens every time:
 * v1 keeps a process list per open file for up to a second, so a kept descriptor could read one that
 * is stale. A file that cannot be opened is read and written by path, as read()/write() do.
 * `truncate: false` where the files are the kernel's (cgroupfs): a write there is the whole value,
 * and the ftruncate a plain file needs after a shorter value is one system call more per write.
 */
export function openedFiles(opts: { truncate?: boolean } = {}): { read(f: string): string; write(f: string, v: string | number): boolean; close(): void } {
  const truncate = opts.truncate ?? true;
  const fds = new Map<string, number>();
  const buf = Buffer.alloc(64 * 1024);
  const fdOf = (f: string): number | undefined => {
    let fd = fds.get(f);
    if (fd === undefined && path.basename(f) !== 'cgroup.procs') {
      try {
        fd = fs.openSync(f, fs.constants.O_RDWR);
        fds.set(f, fd);
      } catch {
        return undefined;
      }
    }
    return fd;
  };
  return {
    read(f) {
      const fd = fdOf(f);
      if (fd === undefined) return read(f);
      try {
        const n = fs.readSync(fd, buf, 0, buf.length, 0);
        return n < buf.length ? buf.toString('utf8', 0, n) : read(f);
      } catch {
        return '';
      }
    },
    write(f, v) {
      const fd = fdOf(f);
      if (fd === undefined) return write(f, v);
      const data = String(v);
      try {
        fs.writeSync(fd, data, 0);
        // A plain file (a spec's tree) keeps no tail of a longer value; a cgroup file has none (truncate: false).
        if (truncate) fs.ftruncateSync(fd, Buffer.byteLength(data));
        return true;
      } catch {
        return false;
      }
    },
    close() {
      for (const fd of fds.values()) fs.closeSync(fd);
      fds.clear();
    },
  };
}

const CGROUP_SUPER_MAGIC = 0x27e0eb;
const CGROUP2_SUPER_MAGIC = 0x63677270;
/** Whether dir is on a cgroup file system (not, e.g., a spec's fake tree on tmpfs). */
export function onCgroupFs(dir: string): boolean {
  try {
    const { type } = fs.statfsSync(dir);
    return type === CGROUP_SUPER_MAGIC || type === CGROUP2_SUPER_MAGIC;
  } catch {
    return false;
  }
}

async function rmdirRetry(dir: string): Promise<void> {
  for (let i = 0; i < 50; i++) {
    try {
      fs.rmdirSync(dir);
      return;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      await sleep(i < 10 ? 2 : 20);
    }
  }
}

function subdirs(dir: string): string[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return [];
  }
}

/**
 * This engine process among all that had its pid: pids are reused (pid_max is often 32,768 and every
 * run forks), and a name an engine that died left behind must never be one a live engine makes, or
 * another engine's sweep (below) removes it under a starting run (ENOENT on its cgroup.procs).
 */
const INCARNATION = randomBytes(4).toString('hex');

/** The name of a run cgroup of this engine: `kind` (s: sandbox, spare, c: compiler server), the pid, this process's incarnation, a count. */
export function runCgroupName(kind: 's' | 'spare' | 'c', n: number, pid = process.pid, incarnation = INCARNATION): string {
  return `${kind}${pid}.${incarnation}-${n}`;
}

/** The pid of the engine a run cgroup's name says made it (names before incarnations had none), or null for another name. */
export function runCgroupOwner(name: string): number | null {
  const m = /^(?:s|spare|c)(\d+)(?:\.[0-9a-f]+)?-\d+$/.exec(name);
  return m ? Number(m[1]) : null;
}

/** Run cgroups are named after the engine's pid; an engine that died without close() leaves them behind. */
async function sweepStale(f: BaseFactory): Promise<void> {
  for (const name of f.children()) {
    const owner = runCgroupOwner(name);
    if (owner !== null && owner !== process.pid && !pidAlive(owner)) await f.create(name).destroy();
  }
}

/** Where the cgroup hierarchies are mounted, from /proc/self/mountinfo text. */
export function parseMounts(mountinfo: string): { v1: Map<string, string>; v2: string | null } {
  const v1 = new Map<string, string>();
  let v2: string | null = null;
  for (const line of mountinfo.split('\n')) {
    const [pre, post] = line.split(' - ');
    if (!pre || !post) continue;
    const mountPoint = pre.split(' ')[4]!;
    const [fstype, , opts] = post.split(' ');
    if (fstype === 'cgroup2' && (mountPoint === '/sys/fs/cgroup' || !v2)) v2 = mountPoint;
    if (fstype === 'cgroup') for (const o of (opts ?? '').split(',')) if (['memory', 'pids', 'cpu', 'cpuacct', 'freezer'].includes(o)) v1.set(o, mountPoint);
  }
  return { v1, v2 };
}

function ownPaths(): { v1: Map<string, string>; v2: string } {
  const v1 = new Map<string, string>();
  let v2 = '/';
  for (const line of read('/proc/self/cgroup').split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    if (m[1] === '0' && m[2] === '') v2 = m[3]!;
    for (const c of m[2]!.split(',')) v1.set(c, m[3]!);
  }
  return { v1, v2 };
}

/**
 * Detects the cgroup layout. Run cgroups nest under `<own cgroup>/<parentName>`
 * so sandboxes stay accounted inside whatever contains the engine.
 */
export function createCgroupFactory(parentName = 'conveyor-runtimes'): CgroupFactory {
  const m = parseMounts(read('/proc/self/mountinfo'));
  const own = ownPaths();
  if (m.v1.has('memory') && m.v1.has('pids')) return withSpares(v1Factory(m.v1, own.v1, parentName));
  if (m.v2) return withSpares(v2Factory(m.v2, own.v2, parentName));
  throw new Error('no usable cgroup hierarchy: need cgroup v1 memory+pids controllers or cgroup v2');
}

/**
 * Keeps a few empty cgroups made ahead: mkdir of a memory cgroup costs
 * milliseconds, which would otherwise sit on every stage's critical path.
 * A cgroup whose run ended clean comes back here (recycle) instead of five
 * rmdirs and, later, five mkdirs (v1): up to `keep` wait, the rest are removed.
 */
export function withSpares(inner: BaseFactory, spares = 4, keep = 16): CgroupFactory {
  const ready: ReusableCgroup[] = [];
  let n = 0;
  let scheduled = false;
  let closed = false;
  const refill = () => {
    scheduled = false;
    while (!closed && ready.length < spares) ready.push(inner.create(runCgroupName('spare', ++n)));
  };
  setTimeout(() => void sweepStale(inner).catch(() => undefined), 200).unref();
  return {
    version: inner.version,
    children: () => inner.children(),
    create(name) {
      const cg = ready.shift() ?? inner.create(name);
      if (!scheduled && ready.length < spares) (scheduled = true), setTimeout(refill, 30);
      return lease(cg, async (base) => {
        // No killAll first: a cgroup that still holds a process is not clean, and destroy() kills it.
        if (!closed && ready.length < keep && base.clean()) {
          base.renew();
          ready.unshift(base); // served first: the spares made ahead are for when runs overlap
        } else await base.destroy();
      });
    },
    close() {
      closed = true;
      const left = ready.splice(0);
      void Promise.all(left.map((c) => c.destroy())).then(() => inner.close());
    },
  };
}

/** One user's handle on a cgroup: after destroy or recycle every call does nothing (the cgroup may serve another run). */
export function lease(base: ReusableCgroup, recycle: (base: ReusableCgroup) => Promise<void>): RunCgroup {
  let cg: ReusableCgroup | null = base;
  const done = () => {
    const c = cg;
    cg = null;
    return c;
  };
  return {
    procsFiles: base.procsFiles,
    setLimits: (l) => cg?.setLimits(l),
    setIdle: (idle) => cg?.setIdle(idle),
    resetAccounting: () => cg?.resetAccounting(),
    usage: () => cg?.usage() ?? { cpuMs: 0, peakMemoryBytes: 0 },
    oomKilled: () => cg?.oomKilled() ?? false,
    pids: () => cg?.pids() ?? [],
    killAll: async () => cg?.killAll(),
    async destroy() {
      await done()?.destroy();
    },
    async recycle() {
      const c = done();
      if (c) await recycle(c);
    },
  };
}

export function v1Factory(mountsByCtl: Map<string, string>, own: Map<string, string>, parentName: string): BaseFactory {
  const controllers = ['memory', 'pids', 'cpu', 'cpuacct', 'freezer'].filter((c) => mountsByCtl.has(c));
  const parents = new Map<string, string>();
  for (const c of controllers) {
    const p = path.join(mountsByCtl.get(c)!, own.get(c) ?? '/', parentName);
    fs.mkdirSync(p, { recursive: true });
    parents.set(c, p);
  }
  const hasMemsw = fs.existsSync(path.join(parents.get('memory')!, 'memory.memsw.limit_in_bytes'));
  const truncate = !onCgroupFs(parents.get('memory')!);
  return {
    version: 1,
    children: () => [...new Set([...parents.values()].flatMap(subdirs))],
    create(name) {
      const dirs = new Map<string, string>();
      for (const [c, p] of parents) {
        const d = path.join(p, name);
        fs.mkdirSync(d, { recursive: true });
        dirs.set(c, d);
      }
      const mem = (f: string) => path.join(dirs.get('memory')!, f);
      const cpuDir = dirs.get('cpu');
      const freezer = dirs.get('freezer');
      // Every file this cgroup reads or writes, named once (path.join per call was ~20 us of a run).
      const F = {
        limit: mem('memory.limit_in_bytes'),
        memsw: mem('memory.memsw.limit_in_bytes'),
        maxUsage: mem('memory.max_usage_in_bytes'),
        memswMaxUsage: mem('memory.memsw.max_usage_in_bytes'),
        oomControl: mem('memory.oom_control'),
        failcnt: mem('memory.failcnt'),
        memswFailcnt: mem('memory.memsw.failcnt'),
        pidsMax: path.join(dirs.get('pids')!, 'pids.max'),
        cpuUsage: path.join(dirs.get('cpuacct') ?? cpuDir!, 'cpuacct.usage'),
        period: cpuDir && path.join(cpuDir, 'cpu.cfs_period_us'),
        quota: cpuDir && path.join(cpuDir, 'cpu.cfs_quota_us'),
        shares: cpuDir && path.join(cpuDir, 'cpu.shares'),
        freezerState: freezer && path.join(freezer, 'freezer.state'),
      };
      const { read, write, close } = openedFiles({ truncate });
      let cpuBase = 0;
      const cpuNs = () => Number(read(F.cpuUsage).trim() || 0);
      // A process joins the controllers in procsFiles order (memory first; its children inherit all of
      // them), so the memory cgroup lists every process that is in any of the run's cgroups.
      const procsFile = path.join(dirs.get('memory')!, 'cgroup.procs');
      const procs = () => read(procsFile).split('\n').filter(Boolean).map(Number);
      // What this cgroup's files hold (a new cgroup's cpu.shares is 1024): a value already there is not
      // written again, as a stage's limits mostly repeat the idle limits set when the sandbox was made.
      const written = new Map<string, string>(F.shares ? [[F.shares, '1024']] : []);
      const set = (f: string, v: string | number) => {
        if (written.get(f) === String(v)) return true;
        const ok = write(f, v);
        if (ok) written.set(f, String(v));
        else written.delete(f);
        return ok;
      };
      return {
        procsFiles: [...dirs.values()].map((d) => path.join(d, 'cgroup.procs')),
        setLimits(l) {
          const bytes = String(l.memoryBytes);
          // memsw must stay >= limit: order the two writes by direction. Raised above the memsw this
          // handle wrote last, memsw goes first (a refused write costs the engine an exception each run);
          // otherwise, or when memsw is not known, the limit first, and memsw first if the kernel refuses.
          const memsw = written.get(F.memsw);
          if (hasMemsw && memsw !== undefined && l.memoryBytes > Number(memsw)) {
            set(F.memsw, bytes);
            set(F.limit, bytes);
          } else if (!set(F.limit, bytes) && hasMemsw) {
            set(F.memsw, bytes);
            set(F.limit, bytes);
          } else if (hasMemsw) set(F.memsw, bytes);
          set(F.pidsMax, l.pids);
          if (F.period && F.quota) {
            set(F.period, 100000);
            set(F.quota, Math.round(l.cpuCores * 100000));
          }
        },
        setIdle(idle) {
          if (F.shares) set(F.shares, idle ? 32 : 1024);
        },
        resetAccounting() {
          write(F.maxUsage, 0);
          if (hasMemsw) write(F.memswMaxUsage, 0);
          cpuBase = cpuNs();
        },
        usage() {
          const peak = Number(read(F.maxUsage).trim() || 0);
          return { cpuMs: Math.max(0, (cpuNs() - cpuBase) / 1e6), peakMemoryBytes: peak };
        },
        oomKilled() {
          const oc = /oom_kill (\d+)/.exec(read(F.oomControl));
          if (oc) return Number(oc[1]) > 0;
          return Number(read(F.failcnt).trim() || 0) > 0;
        },
        pids: procs,
        async killAll() {
          if (procs().length === 0) return;
          for (let round = 0; round < 100; round++) {
            if (F.freezerState) {
              write(F.freezerState, 'FROZEN');
              for (let i = 0; i < 50 && read(F.freezerState).trim() === 'FREEZING'; i++) await sleep(1);
            }
            const list = procs();
            for (const pid of list) {
              try {
                process.kill(pid, 'SIGKILL');
              } catch {
                /* already gone */
              }
            }
            if (F.freezerState) write(F.freezerState, 'THAWED');
            if (list.length === 0) return;
            await sleep(round < 10 ? 1 : 10);
          }
        },
        async destroy() {
          await this.killAll();
          close();
          await Promise.all([...dirs.values()].map(rmdirRetry));
        },
        clean() {
          if (F.freezerState && read(F.freezerState).trim() !== 'THAWED') return false;
          // The memory cgroup lists every process in any of the run's cgroups (procs above): one read of a
          // cgroup.procs (~15 us, and a process list the kernel frees a second later), not one per controller.
          if (procs().length > 0) return false;
          if (/oom_kill [1-9]/.test(read(F.oomControl))) return false;
          return read(F.failcnt).trim() === '0' && (!hasMemsw || read(F.memswFailcnt).trim() === '0');
        },
        renew() {
          this.setIdle(false);
          this.resetAccounting();
        },
      };
    },
    close() {
      for (const p of parents.values()) {
        try {
          fs.rmdirSync(p);
        } catch {
          /* another engine still uses it */
        }
      }
    },
  };
}

/** cgroup v2 (unified). Exported for its unit spec, which runs it on a fake tree: this host is v1. */
export function v2Factory(root: string, own: string, parentName: string): BaseFactory {
  const parent = path.join(root, own, parentName);
  fs.mkdirSync(parent, { recursive: true });
  const available = read(path.join(parent, 'cgroup.controllers'));
  if (!/memory/.test(available) || !/pids/.test(available))
    throw new Error(`cgroup v2: memory and pids controllers are not delegated to ${parent} (cgroup.controllers: "${available.trim()}")`);
  write(path.join(parent, 'cgroup.subtree_control'), '+memory +pids +cpu');
  return {
    version: 2,
    children: () => subdirs(parent),
    create(name) {
      const d = path.join(parent, name);
      fs.mkdirSync(d, { recursive: true });
      const f = (x: string) => path.join(d, x);
      let cpuBase = 0;
      const cpuUs = () => Number(/usage_usec (\d+)/.exec(read(f('cpu.stat')))?.[1] ?? 0);
      const procs = () => read(f('cgroup.procs')).split('\n').filter(Boolean).map(Number);
      return {
        procsFiles: [f('cgroup.procs')],
        setLimits(l) {
          write(f('memory.max'), l.memoryBytes);
          write(f('memory.swap.max'), 0);
          write(f('pids.max'), l.pids);
          write(f('cpu.max'), `${Math.round(l.cpuCores * 100000)} 100000`);
        },
        setIdle(idle) {
          write(f('cpu.weight'), idle ? 3 : 100);
        },
        resetAccounting() {
          write(f('memory.peak'), 'reset');
          cpuBase = cpuUs();
        },
        usage() {
          return { cpuMs: Math.max(0, (cpuUs() - cpuBase) / 1000), peakMemoryBytes: Number(read(f('memory.peak')).trim() || 0) };
        },
        oomKilled() {
          return Number(/oom_kill (\d+)/.exec(read(f('memory.events')))?.[1] ?? 0) > 0;
        },
        pids: procs,
        async killAll() {
          for (let round = 0; round < 100; round++) {
            if (!write(f('cgroup.kill'), 1)) for (const pid of procs()) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
            if (procs().length === 0) return;
            await sleep(round < 10 ? 1 : 10);
          }
        },
        async destroy() {
          await this.killAll();
          await rmdirRetry(d);
        },
        clean() {
          if (procs().length > 0) return false;
          const events = read(f('memory.events'));
          return !/(?:^|\n)max [1-9]/.test(events) && !/oom_kill [1-9]/.test(events);
        },
        renew() {
          this.setIdle(false);
          this.resetAccounting();
        },
      };
    },
    close() {
      try {
        fs.rmdirSync(parent);
      } catch {
        /* still in use */
      }
    },
  };
}
