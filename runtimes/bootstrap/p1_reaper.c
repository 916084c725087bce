/*
 * A Python run's pid 1 once its program is forked (built static and without a C
 * library at first use by runtimes/native-p1.ts, placed at /boot/p1-reaper in
 * every forking runtime). P1 (p1.c) runs its set-up in the warm runtime's own
 * memory (cloned with CLONE_VM | CLONE_VFORK: no copy of the runtime's page
 * tables, no teardown of a copy), forks the program from it and then execs this,
 * which gives P1 an address space of its own and lets the runtime go on.
 *
 *   p1-reaper <program pid> <run socket fd>
 *
 * Forwards signals to the program, reaps orphans, reports the program's status on
 * the run socket (128+N for signal N, as bwrap's pid 1) with the CPU of all it
 * reaped, and exits, which ends the run's pid namespace.
 *
 * No libc: an exec of a static glibc binary cost ~390 us of CPU (its start-up and
 * its pages), one of this ~100 us (session 14). Signals are read from a signalfd
 * (blocked signals reach a namespace's init like any process's), so there is no
 * handler and no restorer to write.
 * See docs/decisions/runtimes-forking-sandboxes.md.
 */
#include <asm/unistd.h>

#define SIGHUP 1
#define SIGINT 2
#define SIGQUIT 3
#define SIGKILL 9
#define SIGUSR1 10
#define SIGUSR2 12
#define SIGALRM 14
#define SIGTERM 15
#define SIGCHLD 17
#define SIGCONT 18
#define SIGWINCH 28
#define PR_SET_DUMPABLE 4
#define SIG_BLOCK 0
#define WNOHANG 1
#define RUSAGE_CHILDREN (-1)
#define MSG_NOSIGNAL 0x4000
#define ECHILD 10
#define EINTR 4
#define EAGAIN 11

static long sys(long n, long a, long b, long c, long d, long e) {
#if defined(__x86_64__)
  register long r10 __asm__("r10") = d, r8 __asm__("r8") = e, r9 __asm__("r9") = 0;
  long ret;
  __asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9) : "rcx", "r11", "memory");
  return ret;
#elif defined(__aarch64__)
  register long x8 __asm__("x8") = n, x0 __asm__("x0") = a, x1 __asm__("x1") = b, x2 __asm__("x2") = c, x3 __asm__("x3") = d, x4 __asm__("x4") = e, x5 __asm__("x5") = 0;
  __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5) : "memory");
  return x0;
#else
#error "p1_reaper.c: x86_64 and aarch64 only"
#endif
}

static __attribute__((noreturn)) void quit(int code) {
  for (;;) sys(__NR_exit_group, code, 0, 0, 0, 0);
}

static long number(const char *s) {
  long v = 0;
  if (!s || !*s) return -1;
  for (; *s; s++) {
    if (*s < '0' || *s > '9' || v > 100000000) return -1;
    v = v * 10 + (*s - '0');
  }
  return v;
}

static char *put(char *p, const char *s) {
  while (*s) *p++ = *s++;
  return p;
}

static char *put_uint(char *p, unsigned long v, int min_digits) {
  char d[24];
  int n = 0;
  do d[n++] = (char)('0' + v % 10), v /= 10;
  while (v || n < min_digits);
  while (n) *p++ = d[--n];
  return p;
}

static const int FORWARDED[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGCONT, SIGWINCH};

/* Reaps every child that has exited; 1 once the program is among them (its status in *status). */
static int reap(long program, int *status) {
  for (;;) {
    int st = 0;
    long pid = sys(__NR_wait4, -1, (long)&st, WNOHANG, 0, 0);
    if (pid == -EINTR) continue;
    if (pid == -ECHILD) {
      *status = SIGKILL; /* no child left to wait for: report it as killed */
      return 1;
    }
    if (pid <= 0) return 0;
    if (pid == program) {
      *status = st;
      return 1;
    }
  }
}

__attribute__((used)) void reaper_main(long *sp) {
  /* The file is not readable by P1, so the exec already left it non-dumpable (the kernel's rule for
   * an unreadable binary); say it again before anything else: nothing in the run may attach to P1. */
  sys(__NR_prctl, PR_SET_DUMPABLE, 0, 0, 0, 0);
  long argc = sp[0];
  char **argv = (char **)(sp + 1);
  long program = argc == 3 ? number(argv[1]) : -1, run_fd = argc == 3 ? number(argv[2]) : -1;
  if (program <= 0 || run_fd < 0) quit(125);
  unsigned long mask = 1UL << (SIGCHLD - 1);
  for (unsigned i = 0; i < sizeof FORWARDED / sizeof FORWARDED[0]; i++) mask |= 1UL << (FORWARDED[i] - 1);
  if (sys(__NR_rt_sigprocmask, SIG_BLOCK, (long)&mask, 0, 8, 0) < 0) quit(125);
  long sfd = sys(__NR_signalfd4, -1, (long)&mask, 8, 0, 0);
  if (sfd < 0) quit(125);
  int status = 0;
  /* A SIGCHLD before the mask was set was discarded (its default is to ignore it): reap first. */
  while (!reap(program, &status)) {
    unsigned int info[32]; /* struct signalfd_siginfo: 128 bytes, ssi_signo first */
    long n = sys(__NR_read, sfd, (long)info, sizeof info, 0, 0);
    if (n == -EINTR || n == -EAGAIN) continue;
    if (n < (long)sizeof info) quit(125);
    if (info[0] != SIGCHLD) sys(__NR_kill, program, info[0], 0, 0, 0);
  }
  /* As the run's init exits with it (128+N for signal N, as bwrap's pid 1), with the CPU of all it reaped. */
  int code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f);
  long ru[18] = {0}; /* struct rusage: ru_utime {sec, usec}, ru_stime {sec, usec}, then counters */
  sys(__NR_getrusage, RUSAGE_CHILDREN, (long)ru, 0, 0, 0);
  unsigned long us = (unsigned long)(ru[0] + ru[2]) * 1000000UL + (unsigned long)(ru[1] + ru[3]);
  char msg[96], *p = put(msg, "{\"code\":");
  p = put_uint(p, (unsigned long)code, 1);
  p = put(p, ",\"signal\":null,\"cpuMs\":");
  p = put_uint(p, us / 1000, 1);
  *p++ = '.';
  p = put_uint(p, us % 1000, 3);
  *p++ = '}';
  sys(__NR_sendto, run_fd, (long)msg, p - msg, MSG_NOSIGNAL, 0);
  quit(0);
}

/* The kernel's entry: the stack holds argc, then argv. */
__asm__(".text\n.global _start\n_start:\n"
#if defined(__x86_64__)
        "  xor %ebp, %ebp\n  mov %rsp, %rdi\n  and $-16, %rsp\n  call reaper_main\n  hlt\n"
#elif defined(__aarch64__)
        "  mov x29, #0\n  mov x30, #0\n  mov x0, sp\n  bl reaper_main\n  brk #0\n"
#endif
);

/* What the compiler may call for the zeroed arrays above, without a C library. */
void *memset(void *d, int c, unsigned long n) {
  unsigned char *p = d;
  while (n--) *p++ = (unsigned char)c;
  return d;
}
