import { bwrapArgv, CHILD_P1_PATH, CHILD_P1_REAPER_PATH, type SandboxPlan } from './sandbox';

const plan = (socket: boolean): SandboxPlan => ({
  binds: [],
  files: [],
  env: {},
  argv: ['/usr/bin/python3', '-I', '/boot/zygote.py'],
  workBytes: 1 << 20,
  rlimits: { fsize: 1 << 20, nofile: 64 },
  cpuCores: 1,
  idleLimits: { memoryBytes: 64 << 20, pids: 16 },
  socket,
});
const p1 = { so: Buffer.from('so'), reaper: Buffer.from('reaper') };

/** The mode bwrap gives the file placed at dest, and the content behind its @FD<i>@ token. */
function placed(a: { argv: string[]; files: Buffer[] }, dest: string): { mode: string; content: string } | null {
  const i = a.argv.indexOf(dest);
  if (i < 0) return null;
  expect(a.argv[i - 2]).toBe('--file');
  expect(a.argv[i - 4]).toBe('--perms');
  const fd = Number(/^@FD(\d+)@$/.exec(a.argv[i - 1]!)![1]);
  return { mode: a.argv[i - 3]!, content: a.files[fd]!.toString() };
}

describe('bwrapArgv', () => {
  it("gives a forking runtime its P1 and P1's reaper, which P1 may run but not read (so the kernel keeps it non-dumpable)", () => {
    const a = bwrapArgv(plan(true), null, p1);
    expect(placed(a, CHILD_P1_PATH)).toEqual({ mode: '0555', content: 'so' });
    expect(placed(a, CHILD_P1_REAPER_PATH)).toEqual({ mode: '0111', content: 'reaper' });
  });

  it('gives neither to a sandbox that forks nothing', () => {
    const a = bwrapArgv(plan(false), null, p1);
    expect(placed(a, CHILD_P1_PATH)).toBeNull();
    expect(placed(a, CHILD_P1_REAPER_PATH)).toBeNull();
  });
});
