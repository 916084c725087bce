import { createRuntimeEngine, type RuntimeEngine } from '../../runtimes';
import { spec } from './helpers';

// Programs that try each system call the sandbox's seccomp filter denies
// (docs/decisions/security-seccomp.md), in a compiled language (bwrap --seccomp),
// the forked Python runtime (the filter installed by each child) and Node (warm pool).
let engine: RuntimeEngine;
beforeAll(() => {
  engine = createRuntimeEngine({ poolSize: 1 });
});
afterAll(() => engine.close());

const C_PROBE = String.raw`
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
static void probe(const char *name, long r) { printf("%s %s\n", name, r == -1 ? strerrorname_np(errno) : "ALLOWED"); }
static int child(void *arg) { (void)arg; return 0; }
static char stack[65536];
int main(void) {
  probe("ptrace", syscall(SYS_ptrace, 16 /* PTRACE_ATTACH */, 1, 0, 0));
  probe("mount", syscall(SYS_mount, "none", "/tmp", "tmpfs", 0, 0));
  probe("umount2", syscall(SYS_umount2, "/tmp", 0));
  probe("unshare_user", syscall(SYS_unshare, CLONE_NEWUSER));
  probe("unshare_ns", syscall(SYS_unshare, CLONE_NEWNS));
  probe("setns", syscall(SYS_setns, 0, 0));
  long c = clone(child, stack + sizeof stack, CLONE_NEWUSER | SIGCHLD, 0);
  if (c > 0) waitpid(c, 0, 0);
  probe("clone_newuser", c);
  probe("clone3", syscall(SYS_clone3, 0, 0));
  probe("keyctl", syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 0));
  probe("add_key", syscall(SYS_add_key, "user", "k", "v", 1, -3));
  probe("bpf", syscall(SYS_bpf, 0, 0, 0));
  probe("perf_event_open", syscall(SYS_perf_event_open, 0, 0, -1, -1, 0));
  probe("userfaultfd", syscall(SYS_userfaultfd, 0));
  probe("kexec_load", syscall(SYS_kexec_load, 0, 0, 0, 0));
  probe("kexec_file_load", syscall(SYS_kexec_file_load, -1, -1, 0, 0, 0));
  probe("init_module", syscall(SYS_init_module, 0, 0, ""));
  probe("finit_module", syscall(SYS_finit_module, -1, "", 0));
  probe("process_vm_readv", syscall(SYS_process_vm_readv, 1, 0, 0, 0, 0, 0));
  pid_t f = fork();
  if (f == 0) _exit(7);
  int st = 0;
  waitpid(f, &st, 0);
  printf("fork %s\n", WIFEXITED(st) && WEXITSTATUS(st) == 7 ? "works" : "broken");
  return 0;
}
`;

describe('seccomp filter', () => {
  it('denies namespace, ptrace, mount, keyring, bpf, perf, userfaultfd, kexec and module calls to a C program, which still forks', async () => {
    const r = await engine.execute(spec('c', 'main.c', C_PROBE));
    expect(r.status).toBe('ok');
    const got = Object.fromEntries(r.run!.stdout.trim().split('\n').map((l) => l.split(' ') as [string, string]));
    expect(got).toEqual({
      ptrace: 'EPERM', mount: 'EPERM', umount2: 'EPERM', unshare_user: 'EPERM', unshare_ns: 'EPERM', setns: 'EPERM', clone_newuser: 'EPERM',
      clone3: 'ENOSYS', keyctl: 'EPERM', add_key: 'EPERM', bpf: 'EPERM', perf_event_open: 'EPERM', userfaultfd: 'EPERM', kexec_load: 'EPERM',
      kexec_file_load: 'EPERM', init_module: 'EPERM', finit_module: 'EPERM', process_vm_readv: 'EPERM', fork: 'works',
    });
  }, 60000);

  it('applies to Python programs forked from the warm runtime, which still run subprocesses and threads', async () => {
    const r = await engine.execute(
      spec('python', 'main.py', [
        'import ctypes, os, subprocess, threading',
        'libc = ctypes.CDLL(None, use_errno=True)',
        'def probe(name, res):',
        '    print(name, os.strerror(ctypes.get_errno()) if res == -1 else "ALLOWED")',
        'probe("unshare_user", libc.unshare(0x10000000))',
        'probe("ptrace", libc.ptrace(16, os.getppid(), 0, 0))',
        'probe("keyctl", libc.syscall(250, 0, -3, 0))',
        'probe("bpf", libc.syscall(321, 0, 0, 0))',
        't = threading.Thread(target=lambda: None); t.start(); t.join()',
        'print("subprocess", subprocess.run(["/usr/bin/echo", "ok"], capture_output=True, text=True).stdout.strip())',
      ].join('\n')),
    );
    expect(r.run!.stdout).toBe('unshare_user Operation not permitted\nptrace Operation not permitted\nkeyctl Operation not permitted\nbpf Operation not permitted\nsubprocess ok\n');
  }, 60000);

  it('applies to JavaScript in the warm Node pool, which still spawns processes', async () => {
    const r = await engine.execute(
      spec('javascript', 'main.js', 'const { execFileSync } = require("child_process");\nconsole.log(execFileSync("/usr/bin/echo", ["spawned"]).toString().trim());\ntry { execFileSync("/usr/bin/unshare", ["-U", "true"], { stdio: "pipe" }); console.log("unshare allowed"); } catch (e) { console.log("unshare refused"); }'),
    );
    expect(r.run!.stdout).toBe('spawned\nunshare refused\n');
  }, 60000);
});
