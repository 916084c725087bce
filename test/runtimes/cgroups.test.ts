import { spawnSync } from 'node:child_process';
import { createCgroupFactory, type RunCgroup } from '../../runtimes/cgroup';

// Run cgroups on this host's real cgroup hierarchy: a cgroup whose run ended clean serves
// the next sandbox (runtimes/cgroup.ts recycle), which must be charged for nothing before it.
const MiB = 1024 * 1024;
const factory = createCgroupFactory(`conveyor-test-recycle-${process.pid}`);
afterAll(() => factory.close());

/** Runs a Python program as a member of every controller of cg, the way the spawner places a sandbox. */
function runIn(cg: RunCgroup, code: string): void {
  const join = cg.procsFiles.map((f) => `echo $$ > ${f}`).join(' && ');
  const r = spawnSync('sh', ['-c', `${join} && exec /usr/bin/python3 -c "$0"`, code], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
}

it('serves the cgroup of a cleanly ended run to the next one, charged from zero', async () => {
  const first = factory.create(`s${process.pid}-1`);
  first.setLimits({ memoryBytes: 256 * MiB, pids: 16, cpuCores: 1 });
  first.resetAccounting();
  runIn(first, 'x = b"x" * (48 << 20)\nsum(range(3_000_000))');
  const used = first.usage();
  expect(used.peakMemoryBytes).toBeGreaterThan(48 * MiB);
  expect(used.cpuMs).toBeGreaterThan(20);
  expect(first.oomKilled()).toBe(false);

  await first.recycle();
  const next = factory.create(`s${process.pid}-2`);
  expect(next.procsFiles).toEqual(first.procsFiles);
  const fresh = next.usage();
  expect(fresh.cpuMs).toBe(0);
  // What the kernel may still charge to an empty cgroup: reclaimable cache and slab of the last run.
  expect(fresh.peakMemoryBytes).toBeLessThan(4 * MiB);

  next.setLimits({ memoryBytes: 256 * MiB, pids: 16, cpuCores: 1 });
  next.resetAccounting();
  runIn(next, 'pass');
  const own = next.usage();
  expect(own.peakMemoryBytes).toBeLessThan(used.peakMemoryBytes - 32 * MiB);
  expect(own.cpuMs).toBeLessThan(used.cpuMs);
  expect(first.usage()).toEqual({ cpuMs: 0, peakMemoryBytes: 0 });
  await next.destroy();
});

it('does not serve again a cgroup whose run was OOM-killed', async () => {
  const cg = factory.create(`s${process.pid}-3`);
  cg.setLimits({ memoryBytes: 32 * MiB, pids: 16, cpuCores: 1 });
  cg.resetAccounting();
  const join = cg.procsFiles.map((f) => `echo $$ > ${f}`).join(' && ');
  const r = spawnSync('sh', ['-c', `${join} && exec /usr/bin/python3 -c 'x = b"x" * (128 << 20)'`]);
  expect(r.signal).toBe('SIGKILL');
  expect(cg.oomKilled()).toBe(true);
  await cg.recycle();
  const other = factory.create(`s${process.pid}-4`);
  expect(other.procsFiles).not.toEqual(cg.procsFiles);
  await other.destroy();
});
