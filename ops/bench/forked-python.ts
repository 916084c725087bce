/**
 * The CPU of a forked Python hello, engine only (no broker, no gateway): the
 * real engine (createRuntimeEngine, fork ['python']) runs `runs` hellos at
 * `concurrency` after a warm-up, and /proc accounting (cpu.ts) splits the CPU
 * per run into the engine's JS (this process), the spawner, and the sandboxes
 * (the run cgroups' parent, refills and prepared children included).
 * docs/decisions/runtimes-forking-sandboxes.md, Session 12, reads its rows.
 *
 *   npx tsx ops/bench/forked-python.ts [runs=600] [concurrency=2] [warmup=10] [rate]
 *
 * With `rate` (runs/s offered) the loop is open: runs start at exponentially
 * spaced times (Poisson arrivals, as the pipeline bench's open loop), whatever
 * is still in flight; `concurrency` is then ignored.
 *
 * Prints one JSON line. Alternate A and B in the same minutes, several rounds:
 * other processes on the machine move runs/s far more than the CPU columns.
 */
import fs from 'node:fs';
import { createRuntimeEngine } from '../../runtimes/engine';
import { cgroupDirOf, cpuPerRun, cpuSnapshot, findDescendant, type CpuRoots } from './cpu';

const CGROUP = `conveyor-forked-bench-${process.pid}`;

/** utime+stime of one process alone, in ms (USER_HZ 100), or NaN once it is gone. */
function ownCpuMs(pid: number | undefined): number {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return NaN;
  }
}

function arg(i: number, fallback: number, name: string): number {
  const raw = process.argv[2 + i];
  if (raw === undefined || (fallback === 0 && raw === '0')) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw Object.assign(new Error(`${name} must be a positive integer, got "${raw}"`), { code: 'invalid_argument' });
  return n;
}

async function main(): Promise<void> {
  const runs = arg(0, 600, 'runs');
  const concurrency = arg(1, 2, 'concurrency');
  const warmup = arg(2, 10, 'warmup');
  const rate = arg(3, 0, 'rate');
  process.env.CONVEYOR_RUNTIMES_CGROUP_PARENT = CGROUP;
  const engine = createRuntimeEngine({ fork: ['python'], hardwareClasses: ['x86_64'] });
  let seq = 0;
  const stageCpu: number[] = [];
  const stageWall: number[] = [];
  const one = async (): Promise<number> => {
    const t = performance.now();
    const r = await engine.execute({ runId: `forked-bench-${process.pid}-${++seq}`, language: 'python', hardwareClass: 'x86_64', files: [{ name: 'hello.py', content: `print("hello") # ${seq}` }] });
    if (r.status !== 'ok' || r.run?.stdout !== 'hello\n') throw Object.assign(new Error(`run ${seq} ended ${r.status}: ${r.run?.stderr ?? ''}`), { code: 'run_failed' });
    stageCpu.push(r.run.cpuMs);
    stageWall.push(r.run.wallMs);
    return performance.now() - t;
  };
  try {
    await engine.warm(['python']);
    for (let i = 0; i < warmup; i++) await one();
    const roots: CpuRoots = {
      processes: { spawner: findDescendant(process.pid, /spawner\.py/) },
      selfOnly: ['spawner'],
      cgroups: { sandboxes: cgroupDirOf(process.pid, CGROUP) },
    };
    // The std forking runtime itself (not bwrap, whose command line names it too): its clone of each run.
    const runtime = roots.processes.spawner && findDescendant(roots.processes.spawner, /^\/usr\/bin\/python3\0-I\0\/boot\/zygote\.py\0/);
    if (!roots.processes.spawner || !roots.cgroups?.sandboxes) throw Object.assign(new Error('no spawner or run cgroup parent found to account'), { code: 'no_accounting' });
    const latencies: number[] = [];
    stageCpu.length = 0;
    stageWall.length = 0;
    const forkStats = () => Object.values(engine.stats().forking ?? {}).reduce((t, z) => ({ forks: t.forks + z.forks, prepared: t.prepared + z.prepared }), { forks: 0, prepared: 0 });
    const forksA = forkStats();
    let left = runs;
    const a = cpuSnapshot(roots);
    const runtimeA = ownCpuMs(runtime);
    if (rate > 0) {
      const inFlight: Promise<void>[] = [];
      let due = performance.now();
      for (; left > 0; left--) {
        due += -Math.log(1 - Math.random()) * (1000 / rate);
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        inFlight.push(one().then((ms) => void latencies.push(ms)));
      }
      await Promise.all(inFlight);
    } else {
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (left > 0) {
            left--;
            latencies.push(await one());
          }
        }),
      );
    }
    const b = cpuSnapshot(roots);
    const runtimeB = ownCpuMs(runtime);
    const forksB = forkStats();
    const c = cpuPerRun(a, b, runs);
    const sorted = latencies.sort((x, y) => x - y);
    const q = (p: number, xs = sorted) => xs[Math.min(xs.length - 1, Math.ceil(p * xs.length) - 1)]!;
    const walls = stageWall.sort((x, y) => x - y);
    const r2 = (x: number) => Math.round(x * 100) / 100;
    console.log(
      JSON.stringify({
        runs,
        concurrency: rate > 0 ? null : concurrency,
        offeredPerS: rate > 0 ? rate : null,
        // The engine's share is this process's CPU (cpu.ts calls it 'bench client').
        engineMs: r2(c.perRun['bench client'] ?? 0),
        spawnerMs: r2(c.perRun.spawner ?? 0),
        sandboxesMs: r2(c.perRun.sandboxes ?? 0),
        // The run's own cgroup from its dispatch on (the program and its P1's reaping): part of sandboxesMs.
        stageCpuMedianMs: r2([...stageCpu].sort((x, y) => x - y)[Math.floor(stageCpu.length / 2)] ?? 0),
        // The forking runtime's own process (its clone of each run and its loop; 10 ms ticks): part of sandboxesMs too.
        runtimeMs: r2((runtimeB - runtimeA) / runs),
        // A run's wall time in its sandbox (run.wallMs: from its dispatch to its exit), median and p90.
        sandboxWallMedianMs: r2(q(0.5, walls)),
        sandboxWallP90Ms: r2(q(0.9, walls)),
        // The share of runs served by a child forked ahead (the rest waited for an on-demand fork).
        preparedShare: r2((forksB.prepared - forksA.prepared) / Math.max(1, forksB.forks - forksA.forks)),
        otherMs: r2(c.other),
        runsPerS: r2(runs / c.seconds),
        medianMs: r2(q(0.5)),
        p99Ms: r2(q(0.99)),
        load: (await import('node:os')).loadavg()[0]!.toFixed(1),
      }),
    );
  } finally {
    await engine.close();
  }
}

main().catch((e: Error & { code?: string }) => {
  console.error(`forked-python bench: ${e.code ?? 'error'}: ${e.message}`);
  process.exit(1);
});
