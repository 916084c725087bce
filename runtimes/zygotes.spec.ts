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

async function readyZygotes(ahead = 2) {
  const f = fakeDeps();
  const z = new Zygotes(f.deps, () => undefined, ahead);
  await z.warm('py', () => plan());
  return { ...f, z };
}

describe('Zygotes forks the next runs\' children ahead', () => {
  it('forks on demand first, then as soon as a run is taken the next children up to its depth, which later runs take oldest first', async () => {
    const { z, forks } = await readyZygotes(2);
    const first = z.take('py', () => plan(), plan())!;
    expect(forks).toHaveLength(1);
    expect(forks[0]!.proc).toBe(first.proc);
    await tick();
    expect(forks).toHaveLength(3); // two children forked ahead while the first run is in flight
    const second = z.take('py', () => plan(), plan())!;
    expect(second.proc).toBe(forks[1]!.proc);
    await tick();
    expect(forks).toHaveLength(4); // topped up to two again
    const third = z.take('py', () => plan(), plan())!;
    expect(third.proc).toBe(forks[2]!.proc);
    // One child serves one run.
    expect(new Set([first.proc.id, second.proc.id, third.proc.id]).size).toBe(3);
    expect(z.stats().py).toMatchObject({ forks: 3, prepared: 2 });
    await z.close();
  });

  it('writes the taken run\'s input before it forks the next child', async () => {
    const { z, forks } = await readyZygotes(1);
    const order: string[] = [];
    const run = z.take('py', () => plan(), plan())!;
    run.proc.write = () => void order.push('input');
    run.dispatch({ stage: 'run', limits: { wallMs: 1000, cpuMs: 1000, memoryBytes: 1 << 26, pids: 16, outputBytes: 1024, fileBytes: 1024, openFiles: 64 }, input: Buffer.from('x'), closeStdin: true, seq: { n: 0 } });
    order.push(`forks ${forks.length}`);
    await tick();
    order.push(`forks ${forks.length}`);
    expect(order).toEqual(['input', 'forks 1', 'forks 2']);
    forks[0]!.proc.exit();
    await z.close();
  });

  it('with a depth of 0 forks every run on demand', async () => {
    const { z, forks } = await readyZygotes(0);
    z.take('py', () => plan(), plan());
    forks[0]!.proc.exit();
    await tick();
    expect(forks).toHaveLength(1);
    z.take('py', () => plan(), plan());
    expect(forks).toHaveLength(2);
    expect(z.stats().py).toMatchObject({ forks: 2, prepared: 0 });
    await z.close();
  });

  it('a native stage\'s child is forked with its mounts later and gets them when taken', async () => {
    const { z, forks } = await readyZygotes(1);
    z.take('py', () => plan(), plan(), { out: 'out-1' });
    expect(forks[0]!.req.mounts).toEqual({ out: 'out-1' });
    await tick();
    expect(forks[1]!.req.mounts).toBe('later');
    const next = z.take('py', () => plan(), plan(), { out: 'out-2' })!;
    expect(next.proc).toBe(forks[1]!.proc);
    expect(forks[1]!.proc.mounted).toEqual([{ out: 'out-2' }]);
    await z.close();
  });

  it('keeps children per stage plan and forks on demand for a plan it has none for', async () => {
    const { z, forks, destroyed } = await readyZygotes(1);
    z.take('py', () => plan(), plan(), { out: 'o' });
    await tick(); // forks[1]: the compile plan's child
    const run = z.take('py', () => plan(), plan(32 << 20), { prog: 'k' })!; // another plan: on demand
    expect(run.proc).toBe(forks[2]!.proc);
    expect(forks[2]!.req.mounts).toEqual({ prog: 'k' });
    await tick();
    expect(forks[3]!.req.mounts).toBe('later'); // the run plan's child, beside the compile plan's
    expect(z.take('py', () => plan(), plan(), { out: 'p' })!.proc).toBe(forks[1]!.proc);
    expect(z.take('py', () => plan(), plan(32 << 20), { prog: 'k2' })!.proc).toBe(forks[3]!.proc);
    expect(destroyed).toHaveLength(0);
    await z.close();
  });

  it('drops the children forked ahead when forking is disabled or the runtime closes', async () => {
    const { z, forks, destroyed } = await readyZygotes(2);
    z.take('py', () => plan(), plan());
    await tick();
    expect(forks).toHaveLength(3);
    z.disable('py', 'refused');
    await tick();
    expect(destroyed).toEqual(expect.arrayContaining([forks[1]!.req.cgroups[0], forks[2]!.req.cgroups[0]]));
    expect(z.take('py', () => plan(), plan())).toBeNull();
    const other = await readyZygotes(2);
    other.z.take('py', () => plan(), plan());
    await tick();
    await other.z.close();
    expect(other.destroyed).toEqual(expect.arrayContaining([other.forks[1]!.req.cgroups[0], other.forks[2]!.req.cgroups[0]]));
  });

  it('a child forked ahead that died is not handed out', async () => {
    const { z, forks, destroyed } = await readyZygotes(1);
    z.take('py', () => plan(), plan());
    await tick();
    forks[1]!.proc.exit({ code: null, signal: 9 });
    await tick();
    const next = z.take('py', () => plan(), plan())!;
    expect(next.proc).toBe(forks[2]!.proc);
    expect(destroyed).toContain(forks[1]!.req.cgroups[0]);
    await z.close();
  });
});
