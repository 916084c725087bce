import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { onCgroupFs, openedFiles, parseMounts, runCgroupName, runCgroupOwner, v1Factory, v2Factory, withSpares } from './cgroup';

// This machine runs cgroup v1, which the integration tests exercise for real.
// The v2 code path runs here against a fake unified tree: the files it writes
// and reads are the kernel's interface (Documentation/admin-guide/cgroup-v2.rst).
describe('cgroup layout detection', () => {
  it('finds v1 controllers and a v2 mount in mountinfo', () => {
    const info = [
      '30 25 0:26 / /sys/fs/cgroup/memory rw,relatime shared:9 - cgroup cgroup rw,memory',
      '31 25 0:27 / /sys/fs/cgroup/pids rw,relatime shared:10 - cgroup cgroup rw,pids',
      '32 25 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:11 - cgroup cgroup rw,cpu,cpuacct',
      '29 25 0:25 / /sys/fs/cgroup/unified rw,relatime shared:8 - cgroup2 cgroup2 rw',
    ].join('\n');
    const m = parseMounts(info);
    expect(m.v1.get('memory')).toBe('/sys/fs/cgroup/memory');
    expect(m.v1.get('cpuacct')).toBe('/sys/fs/cgroup/cpu,cpuacct');
    expect(m.v2).toBe('/sys/fs/cgroup/unified');
    expect(parseMounts('40 1 0:30 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate').v2).toBe('/sys/fs/cgroup');
  });
});

describe('cgroup v2 run cgroups', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cg2-'));
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
  const parent = path.join(root, 'engine.slice', 'conveyor-runtimes');

  it('refuses a tree where memory and pids are not delegated', () => {
    fs.mkdirSync(parent, { recursive: true });
    fs.writeFileSync(path.join(parent, 'cgroup.controllers'), 'cpu io');
    expect(() => v2Factory(root, 'engine.slice', 'conveyor-runtimes')).toThrow(/memory and pids controllers are not delegated/);
  });

  it('writes limits, reads usage and OOM kills through the unified interface', () => {
    fs.writeFileSync(path.join(parent, 'cgroup.controllers'), 'cpuset cpu io memory pids');
    const f = v2Factory(root, 'engine.slice', 'conveyor-runtimes');
    expect(f.version).toBe(2);
    expect(fs.readFileSync(path.join(parent, 'cgroup.subtree_control'), 'utf8')).toBe('+memory +pids +cpu');
    const cg = f.create('s1-1');
    const file = (x: string) => path.join(parent, 's1-1', x);
    cg.setLimits({ memoryBytes: 256 * 1024 * 1024, pids: 64, cpuCores: 1.5 });
    expect(fs.readFileSync(file('memory.max'), 'utf8')).toBe(String(256 * 1024 * 1024));
    expect(fs.readFileSync(file('memory.swap.max'), 'utf8')).toBe('0');
    expect(fs.readFileSync(file('pids.max'), 'utf8')).toBe('64');
    expect(fs.readFileSync(file('cpu.max'), 'utf8')).toBe('150000 100000');
    expect(cg.procsFiles).toEqual([file('cgroup.procs')]);

    fs.writeFileSync(file('cpu.stat'), 'usage_usec 1500\nuser_usec 1000\n');
    cg.resetAccounting();
    fs.writeFileSync(file('cpu.stat'), 'usage_usec 43500\nuser_usec 40000\n');
    fs.writeFileSync(file('memory.peak'), '9437184\n');
    expect(cg.usage()).toEqual({ cpuMs: 42, peakMemoryBytes: 9437184 });

    fs.writeFileSync(file('memory.events'), 'low 0\nhigh 0\nmax 3\noom 1\noom_kill 0\n');
    expect(cg.oomKilled()).toBe(false);
    fs.writeFileSync(file('memory.events'), 'low 0\nhigh 0\nmax 9\noom 2\noom_kill 1\n');
    expect(cg.oomKilled()).toBe(true);

    cg.setIdle(true);
    expect(fs.readFileSync(file('cpu.weight'), 'utf8')).toBe('3');
    expect(f.children()).toEqual(['s1-1']);
  });
});

describe('recycled run cgroups', () => {
  // A fake v1 tree (one directory per controller); the counters are the files the kernel keeps.
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cg1-'));
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
  const ctls = ['memory', 'pids', 'cpu', 'cpuacct', 'freezer'];
  const mounts = new Map(ctls.map((c) => [c, path.join(root, c)]));
  const dir = (c: string, name: string) => path.join(root, c, 'conveyor-runtimes', name);
  const put = (c: string, name: string, file: string, v: string) => fs.writeFileSync(path.join(dir(c, name), file), v);
  const get = (c: string, name: string, file: string) => fs.readFileSync(path.join(dir(c, name), file), 'utf8');
  /** What the kernel shows of a cgroup whose run used 42 ms of CPU and 9 MiB, then ended. */
  const ranAndEnded = (name: string, counters: Record<string, string> = {}) => {
    put('cpuacct', name, 'cpuacct.usage', '42000000');
    put('memory', name, 'memory.max_usage_in_bytes', String(9 << 20));
    put('memory', name, 'cgroup.procs', '');
    put('freezer', name, 'freezer.state', 'THAWED\n');
    put('memory', name, 'memory.oom_control', 'oom_kill_disable 0\nunder_oom 0\noom_kill 0\n');
    put('memory', name, 'memory.failcnt', '0\n');
    for (const [f, v] of Object.entries(counters)) put('memory', name, f, v);
  };

  it('serves a cleanly ended cgroup again with zero CPU and peak memory, and its old handle reaches nothing', async () => {
    const f = withSpares(v1Factory(mounts, new Map(), 'conveyor-runtimes'), 0);
    const first = f.create('s1-1');
    first.setLimits({ memoryBytes: 64 << 20, pids: 16, cpuCores: 1 });
    first.setIdle(true);
    ranAndEnded('s1-1');
    expect(first.usage()).toEqual({ cpuMs: 42, peakMemoryBytes: 9 << 20 });

    await first.recycle();
    const second = f.create('s1-2');
    expect(second.procsFiles).toEqual(first.procsFiles);
    expect(second.usage()).toEqual({ cpuMs: 0, peakMemoryBytes: 0 });
    expect(get('cpu', 's1-1', 'cpu.shares')).toBe('1024');
    expect(fs.existsSync(dir('memory', 's1-2'))).toBe(false);

    // The first user's late calls must not touch the run that now owns the cgroup.
    first.setLimits({ memoryBytes: 1 << 20, pids: 1, cpuCores: 0.1 });
    first.setIdle(true);
    expect(get('memory', 's1-1', 'memory.limit_in_bytes')).toBe(String(64 << 20));
    expect(get('cpu', 's1-1', 'cpu.shares')).toBe('1024');
    expect(first.usage()).toEqual({ cpuMs: 0, peakMemoryBytes: 0 });
    await first.recycle();
    expect(f.create('s1-3').procsFiles).not.toEqual(first.procsFiles);
  });

  it('removes a cgroup that still lists a process instead of serving it again, killing what is left first', async () => {
    const f = withSpares(v1Factory(mounts, new Map(), 'conveyor-runtimes'), 0);
    const cg = f.create('s3-left');
    ranAndEnded('s3-left', { 'cgroup.procs': '4194303\n' }); // above pid_max: nothing real to kill
    const recycled = cg.recycle();
    // The kill loop freezes the cgroup and looks again; the "kernel" then lets the process go.
    await new Promise((r) => setTimeout(r, 30));
    expect(get('freezer', 's3-left', 'freezer.state')).toBe('THAWED');
    put('memory', 's3-left', 'cgroup.procs', '');
    await recycled;
    expect(f.create('s3-next').procsFiles).not.toEqual(cg.procsFiles);
  });

  it.each([
    ['reached its memory limit', { 'memory.failcnt': '3\n' }],
    ['had a process OOM-killed', { 'memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 1\n' }],
  ])('removes a cgroup that %s instead of serving it again', async (_why, counters) => {
    const name = `s2-${Object.keys(counters)[0]}`;
    const f = withSpares(v1Factory(mounts, new Map(), 'conveyor-runtimes'), 0);
    const cg = f.create(name);
    ranAndEnded(name, counters);
    await cg.recycle();
    expect(f.create('s2-next').procsFiles).not.toEqual(cg.procsFiles);
    expect(fs.existsSync(dir('pids', name))).toBe(false);
  });
});

describe("a run cgroup's files, kept open", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cgfiles-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const f = (name: string) => path.join(dir, name);

  it('reads what was written last, a shorter value leaving no tail of a longer one', () => {
    const io = openedFiles();
    expect(io.write(f('memory.limit_in_bytes'), 104857600)).toBe(true); // not there yet: written by path
    expect(io.write(f('memory.limit_in_bytes'), 2097152)).toBe(true); // now through the kept descriptor
    expect(io.read(f('memory.limit_in_bytes'))).toBe('2097152');
    fs.writeFileSync(f('memory.limit_in_bytes'), '7'); // another writer, same file
    expect(io.read(f('memory.limit_in_bytes'))).toBe('7');
    io.close();
  });

  it('reopens cgroup.procs on every read, so it never reads a list an open file kept', () => {
    const io = openedFiles();
    fs.writeFileSync(f('cgroup.procs'), '41\n');
    expect(io.read(f('cgroup.procs'))).toBe('41\n');
    // A new file under the same name: a kept descriptor would still read the old one.
    fs.writeFileSync(f('procs.next'), '');
    fs.renameSync(f('procs.next'), f('cgroup.procs'));
    expect(io.read(f('cgroup.procs'))).toBe('');
    io.close();
  });

  it('leaves the truncation to the kernel on a cgroup file system (truncate: false)', () => {
    const io = openedFiles({ truncate: false });
    io.write(f('cpu.cfs_quota_us'), 100000);
    io.write(f('cpu.cfs_quota_us'), 5); // a plain file keeps the longer value's tail: the kernel's takes each write whole
    expect(io.read(f('cpu.cfs_quota_us'))).toBe('500000');
    io.close();
    expect(onCgroupFs(dir)).toBe(false);
  });

  it('reads a missing file as empty and reports a write it cannot make', () => {
    const io = openedFiles();
    expect(io.read(f('absent'))).toBe('');
    expect(io.write(path.join(dir, 'no-such-dir', 'pids.max'), 5)).toBe(false);
    io.close();
  });
});

describe('run cgroup names', () => {
  it('differ between two engine processes that had the same pid (pids are reused; a dead one may have left its cgroups)', () => {
    expect(runCgroupName('s', 1, 4242, 'a1b2c3d4')).not.toBe(runCgroupName('s', 1, 4242, '0f0f0f0f'));
    // This process's names are never the names an engine before incarnations (or another incarnation) left with its pid.
    expect(runCgroupName('s', 1)).not.toBe(`s${process.pid}-1`);
    expect(runCgroupName('spare', 3)).toMatch(new RegExp(`^spare${process.pid}\\.[0-9a-f]{8}-3$`));
  });

  it('name the pid that made them, in the old form and the new, so a sweep finds the dead ones', () => {
    expect(runCgroupOwner(runCgroupName('s', 7, 4242))).toBe(4242);
    expect(runCgroupOwner(runCgroupName('c', 2, 17))).toBe(17);
    expect(runCgroupOwner('spare99-3')).toBe(99);
    expect(runCgroupOwner('s12-1')).toBe(12);
    expect(runCgroupOwner('conveyor-bench-12')).toBeNull();
    expect(runCgroupOwner('s12.zz-1')).toBeNull();
  });
});
