/*
 * Writes Conveyor's sandbox seccomp filter as a BPF program (for
 * `bwrap --seccomp FD`) to the file named by argv[1]. Built with libseccomp at
 * first use (runtimes/seccomp.ts), so the filter matches this machine's
 * architecture and syscall numbers. Denied calls fail with EPERM (clone3 with
 * ENOSYS, so libc falls back to clone, whose flags can be checked); system
 * calls of any other architecture (x32, i386) kill the process.
 * See docs/decisions/security-seccomp.md.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <unistd.h>

static const char *const DENIED[] = {
    /* debugging other processes, reading their memory */
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp",
    /* mounts and namespaces */
    "mount", "umount2", "pivot_root", "chroot", "unshare", "setns", "move_mount", "open_tree",
    "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
    /* kernel keyrings */
    "keyctl", "add_key", "request_key",
    /* kernel attack surface a program never needs */
    "bpf", "perf_event_open", "userfaultfd", "kexec_load", "kexec_file_load", "init_module",
    "finit_module", "delete_module", "iopl", "ioperm", "swapon", "swapoff", "reboot", "acct",
    "quotactl", "quotactl_fd", "open_by_handle_at", "name_to_handle_at", "lookup_dcookie",
    "syslog", "vhangup", "uselib", "nfsservctl", "settimeofday", "clock_settime",
    "clock_adjtime", "adjtimex",
};

static const unsigned long NAMESPACE_FLAGS[] = {
    CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET,
};

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s OUTPUT.bpf\n", argv[0]);
        return 2;
    }
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (!ctx) return 1;
    if (seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS) != 0) return 1;
    /* A binary tree of syscall numbers instead of libseccomp's linear list: installing the filter makes
     * the kernel run it once for every syscall number (its allow-cache), under the signal lock, and a
     * forked Python run installs it every time (docs/decisions/runtimes-forking-sandboxes.md, Session 13). */
    if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2) != 0) return 1;
    for (size_t i = 0; i < sizeof DENIED / sizeof *DENIED; i++) {
        int nr = seccomp_syscall_resolve_name(DENIED[i]);
        if (nr == __NR_SCMP_ERROR) continue; /* not a call on this architecture */
        if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0) != 0) {
            fprintf(stderr, "cannot deny %s\n", DENIED[i]);
            return 1;
        }
    }
    /* clone creating any namespace (a nested user namespace above all) */
    for (size_t i = 0; i < sizeof NAMESPACE_FLAGS / sizeof *NAMESPACE_FLAGS; i++) {
        if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1, SCMP_A0(SCMP_CMP_MASKED_EQ, NAMESPACE_FLAGS[i], NAMESPACE_FLAGS[i])) != 0) return 1;
    }
    /* clone3 passes its flags in memory, which a filter cannot read */
    if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0) != 0) return 1;
    int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || seccomp_export_bpf(ctx, fd) != 0 || close(fd) != 0) {
        perror("export");
        return 1;
    }
    seccomp_release(ctx);
    return 0;
}
