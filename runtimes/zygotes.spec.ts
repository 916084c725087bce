import type { CgroupFactory, RunCgroup } from './cgroup';
import type { SandboxDeps, SandboxPlan } from './sandbox';
import { READY_MARKER } from './sandbox';
import type { ExitInfo, ForkRequest, SpawnedProcess, Spawner } from './spawner/client';
import { Zygotes } from './zygotes';

// The children a forking runtime forks ahead (docs/decisions/runtimes-forking-sandboxes.md),
// against a fake spawner that records every spawn, fork and mounts message.
interface FakeProc extends SpawnedProcess {
  exit(e?: Partial<ExitInfo>): void;
  mounted: unknown[];
}

function fakeDeps() {
  const forks: { req: ForkRequest; proc: FakeProc }[] = [];
  const spawned: FakeProc[] = [];
  const destroyed: string[] = [];
  let ids = 0;
  const proc = (): FakeProc => {
    let done!: (e: ExitInfo) => void;
    const exited = new Promise<ExitInfo>((r) => (done = r));
    const p: FakeProc = {
      id: ++ids,
      exited,
      onData: null,
      onOverflow: null,
      write: () => undefined,
      end: () => undefined,
      signal: () => undefined,
      mounted: [],
      mount: (m) => void p.mounted.push(m),
      exit: (e = {}) => done({ code: 0, signal: null, cpuMs: 0, ...e }),
    };
    return p;
  };
  const spawner = {
    spawn: () => {
      const p = proc();
      spawned.push(p);
      setImmediate(() => p.onData?.('stderr', Buffer.from(READY_MARKER)));
      return p;
    },
    fork: (req: ForkRequest) => {
      const p = proc();
      forks.push({ req, proc: p });
      return p;
    },
  } as unknown as Spawner;
  let n = 0;
  const cgroups: CgroupFactory = {
    version: 1,
    children: () => [],
    close: () => undefined,
    create: (name) => {
      const cg: RunCgroup = {
        procsFiles: [`/cg/${name}-${++n}/cgroup.procs`],
        setLimits: () => undefined,
        setIdle: () => undefined,
        resetAccounting: () => undefined,
        usage: () => ({ cpuMs: 0, peakMemoryBytes: 0 }),
        oomKilled: () => false,
        pids: () => [],
        killAll: async () => undefined,
        destroy: async () => void destroyed.push(cg.procsFiles[0]!),
        recycle: async () => void destroyed.push(cg.procsFiles[0]!),
      };
      return cg;
    },
  };
  const deps: SandboxDeps = { spawner, cgroups, maxOutput: 1 << 20, seccomp: null };
  return { deps, forks, spawned, destroyed };
}

const plan = (workBytes = 8 << 20): SandboxPlan => ({ binds: [], files: [], env: {}, argv: ['/usr/bin/python3'], workBytes, rlimits: { fsize: 1, nofile: 64 }, cpuCores: 1, idleLimits: { memoryBytes: 64 << 20, pids: 16 }, announcesReady: true, socket: true });
const tick = () => new Promise((r) => setImmediate(r));

async function readyZygotes() {
  const f = fakeDeps();
  const z = new Zygotes(f.deps);
  await z.warm('py', () => plan());
  return { ...f, z };
}

describe('Zygotes forks the next run\'s child ahead', () => {
  it('forks on demand first, then once that run has ended the next child, which the next run takes', async () => {
    const { z, forks } = await readyZygotes();
    const first = z.take('py', () => plan(), plan())!;
    expect(forks).toHaveLength(1);
    expect(forks[0]!.proc).toBe(first.proc);
    await tick();
    expect(forks).toHaveLength(1); // nothing forked while the run is in flight
    forks[0]!.proc.exit();
    await tick();
    expect(forks).toHaveLength(2);
    const second = z.take('py', () => plan(), plan())!;
    expect(second.proc).toBe(forks[1]!.proc);
    expect(forks).toHaveLength(2);
    // One child serves one run: a third run while the second is in flight forks its own.
    const third = z.take('py', () => plan(), plan())!;
    expect(third.proc).toBe(forks[2]!.proc);
    expect(new Set([first.proc.id, second.proc.id, third.proc.id]).size).toBe(3);
    await z.close();
  });

  it('a native stage\'s child is forked with its mounts later and gets them when taken', async () => {
    const { z, forks } = await readyZygotes();
    z.take('py', () => plan(), plan(), { out: 'out-1' });
    expect(forks[0]!.req.mounts).toEqual({ out: 'out-1' });
    forks[0]!.proc.exit();
    await tick();
    expect(forks[1]!.req.mounts).toBe('later');
    const next = z.take('py', () => plan(), plan(), { out: 'out-2' })!;
    expect(next.proc).toBe(forks[1]!.proc);
    expect(forks[1]!.proc.mounted).toEqual([{ out: 'out-2' }]);
    await z.close();
  });

  it('keeps a child per stage plan and forks on demand for a plan it has none for', async () => {
    const { z, forks, destroyed } = await readyZygotes();
    z.take('py', () => plan(), plan(), { out: 'o' });
    forks[0]!.proc.exit();
    await tick();
    const run = z.take('py', () => plan(), plan(32 << 20), { prog: 'k' })!; // another plan: on demand
    expect(run.proc).toBe(forks[2]!.proc);
    expect(forks[2]!.req.mounts).toEqual({ prog: 'k' });
    forks[2]!.proc.exit();
    await tick();
    expect(forks[3]!.req.mounts).toBe('later'); // the run plan's child, beside the compile plan's
    expect(z.take('py', () => plan(), plan(), { out: 'p' })!.proc).toBe(forks[1]!.proc);
    expect(z.take('py', () => plan(), plan(32 << 20), { prog: 'k2' })!.proc).toBe(forks[3]!.proc);
    expect(destroyed).toHaveLength(0);
    await z.close();
  });

  it('drops the child forked ahead when forking is disabled or the runtime closes', async () => {
    const { z, forks, destroyed } = await readyZygotes();
    z.take('py', () => plan(), plan());
    forks[0]!.proc.exit();
    await tick();
    expect(forks).toHaveLength(2);
    z.disable('py', 'refused');
    await tick();
    expect(destroyed).toContain(`${forks[1]!.req.cgroups[0]}`);
    expect(z.take('py', () => plan(), plan())).toBeNull();
    const other = await readyZygotes();
    other.z.take('py', () => plan(), plan());
    other.forks[0]!.proc.exit();
    await tick();
    await other.z.close();
    expect(other.destroyed).toContain(other.forks[1]!.req.cgroups[0]);
  });

  it('a child forked ahead that died is not handed out', async () => {
    const { z, forks } = await readyZygotes();
    z.take('py', () => plan(), plan());
    forks[0]!.proc.exit();
    await tick();
    forks[1]!.proc.exit({ code: null, signal: 9 });
    await tick();
    const next = z.take('py', () => plan(), plan())!;
    expect(next.proc).toBe(forks[2]!.proc);
    await z.close();
  });
});
