import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseMounts, v2Factory } from './cgroup';

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
