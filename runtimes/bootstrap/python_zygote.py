# Warm forking Python runtime (docs/decisions/runtimes-forking-sandboxes.md).
#
# Runs inside a bubblewrap sandbox that never sees a program: it imports the
# preloads, compiles the bootstrap (python_boot.py, passed as /boot/boot.py),
# then waits on a control socket for one message per run from the spawner:
# 12 bytes (run id, work tmpfs bytes, /tmp bytes; then, for the native
# loader, JSON naming the directories to mount at /prog, /out, /pch, or "later" for a
# child forked ahead, which receives that JSON on its run socket after "go") plus four descriptors
# (stdin, stdout, stderr, a per-run socket). For each it clones:
#
#   P1  straight into new user, mount, pid, network, IPC and UTS namespaces:
#       the run's pid 1 and its monitor. It maps only its own uid/gid, reports
#       its pid on the run socket (SCM_CREDENTIALS: the kernel translates it for
#       the spawner; a native stage's P1 then waits while the spawner moves it into
#       the run's cgroup and answers; a Python run's P1 goes on, and its program
#       reports itself and waits for that move before it reads its code), mounts a
#       new tmpfs on /work, /tmp and /dev/shm, a new devpts, /dev read-only, a
#       new /proc, brings up loopback, drops every capability and forks the
#       program; it forwards signals to it, reaps orphans and reports its
#       status on the run socket (128+N when signal N killed it, as bwrap's pid 1).
#       For the native loader it first binds the stage's directories and reads
#       the stage's header from stdin (files, argv, environment, limits).
#   C3  the program (pid 2): runs the bootstrap, which reads the code header
#       from stdin and executes the user's files (the native loader: P1
#       posix_spawns the stage's program).
#
# A Python run's P1 is C (p1.c, loaded from /boot/p1.so), and so is this runtime's loop for Python runs
# (conveyor_serve: no Python statement per run here); a native stage's P1 runs the same
# steps in Python (_enter, _reap_and_report), plus its stage's mounts and header. A Python run's P1
# runs in this runtime's memory (CLONE_VM | CLONE_VFORK: this runtime waits) until it has forked the
# program, then execs /boot/p1-reaper (p1_reaper.c) for the rest: no copy of this runtime's page
# tables for P1, and none to tear down.
#
# The zygote itself keeps no state from any run: it only receives
# descriptors, and closes them after the fork.
import _signal
import ctypes
import fcntl
import os
import signal
import socket
import struct
import sys

import importlib.util

# The dependency set's preloads (numpy, pandas): imported once here, shared by every fork.
# One that is missing is skipped; the program's own import then reports it.
_preload = [m for m in os.environ.pop('CONVEYOR_PRELOAD', '').split(',') if m and importlib.util.find_spec(m)]
_preloaded = list(map(importlib.import_module, _preload))

# What the bootstrap imports, so no run pays for it (a fresh interpreter's boot does).
import atexit, json, resource, traceback  # noqa: E401,F401  (resource: os.wait4's rusage)

_ctl_fd = int(os.environ.pop('CONVEYOR_ZYGOTE_FD'))
with open('/boot/boot.py', encoding='utf-8') as _fh:
    _boot = compile(_fh.read(), '/boot/boot.py', 'exec')

# The sandbox's seccomp filter (runtimes/seccomp.ts): this runtime creates namespaces, so
# bwrap cannot filter it; each program installs the filter itself before it runs.
try:
    with open('/boot/seccomp.bpf', 'rb') as _fh:
        _seccomp = _fh.read()
except FileNotFoundError:
    _seccomp = None

libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x20000, 0x4000000, 0x8000000, 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 8, 32, 4096, 16384, 1 << 18
PR_CAPBSET_DROP, PR_SET_DUMPABLE, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 24, 4, 47, 4
RUN_NAMESPACES = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS
SYS_CLONE = {'x86_64': 56, 'aarch64': 220}[os.uname().machine]
_syscall = ctypes.PyDLL(None, use_errno=True).syscall
_syscall.restype = ctypes.c_long
_syscall.argtypes = [ctypes.c_long] * 6
_UID, _GID = os.getuid(), os.getgid()
FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2, signal.SIGALRM, signal.SIGCONT, signal.SIGWINCH)
# A Python run's program sets these dispositions first, as a fresh interpreter has them (SIGCHLD: this
# runtime ignores it). Plain ints for _signal.signal: signal.signal converts its arguments and result to
# and from enums (Signals, Handlers), which touched the enum machinery's objects on every call, ~40 of
# the program's copy-on-write faults for these eleven (Session 17).
_PROGRAM_SIGNALS = tuple([(int(signal.SIGCHLD), int(signal.SIG_DFL))] + [(int(s), int(signal.SIG_DFL)) for s in FORWARDED]
                         + [(int(signal.SIGINT), signal.default_int_handler), (int(signal.SIGPIPE), int(signal.SIG_IGN))])


def _check(res, what):
    if res != 0:
        e = ctypes.get_errno()
        raise OSError(e, '%s: %s' % (what, os.strerror(e)))


def _mount(src, target, fstype, flags, data=None):
    _check(libc.mount(src and src.encode(), target.encode(), fstype and fstype.encode(), flags, data and data.encode()), 'mount %s' % target)


class _CapHeader(ctypes.Structure):
    _fields_ = [('version', ctypes.c_uint32), ('pid', ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [('effective', ctypes.c_uint32), ('permitted', ctypes.c_uint32), ('inheritable', ctypes.c_uint32)]


_CAP_LAST = int(open('/proc/sys/kernel/cap_last_cap').read()) if os.path.exists('/proc/sys/kernel/cap_last_cap') else 40

# A Python run's P1 is C (p1.c, built by the engine: runtimes/native-p1.ts): Python in P1 copied
# hundreds of this runtime's pages per run (copy-on-write), for steps that are all system calls.
_p1 = ctypes.PyDLL('/boot/p1.so')
_p1.conveyor_program_filter.argtypes = [ctypes.c_char_p, ctypes.c_int]
_p1.conveyor_serve.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_uint, ctypes.c_uint, ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_int)]
# A Python run's program installs the filter in C (p1.c program_prologue), before it returns into Python.
if _seccomp is not None and _p1.conveyor_program_filter(_seccomp, len(_seccomp)) != 0:
    raise SystemExit('conveyor zygote: /boot/seccomp.bpf is not a filter')
# P1's second half, which it execs once the program is forked (p1_reaper.c): without it no run can start.
if not os.access('/boot/p1-reaper', os.X_OK):
    raise SystemExit('conveyor zygote: /boot/p1-reaper is missing')


def _drop_capabilities():
    """Empty bounding, ambient, effective, permitted and inheritable sets."""
    for cap in range(_CAP_LAST + 1):
        libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)
    libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    hdr = _CapHeader(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3
    data = (_CapData * 2)()
    _check(libc.capset(ctypes.byref(hdr), data), 'capset')


def _loopback_up():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        ifr = struct.pack('16sH14x', b'lo', 0)
        flags = struct.unpack('16sH14x', fcntl.ioctl(s.fileno(), 0x8913, ifr))[1]  # SIOCGIFFLAGS
        fcntl.ioctl(s.fileno(), 0x8914, struct.pack('16sH14x', b'lo', flags | 0x1 | 0x40))  # SIOCSIFFLAGS: UP|RUNNING
    finally:
        s.close()


class _SockFprog(ctypes.Structure):
    _fields_ = [('len', ctypes.c_ushort), ('filter', ctypes.c_void_p)]


def _install_seccomp():
    if _seccomp is None:
        return
    PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
    buf = ctypes.create_string_buffer(_seccomp, len(_seccomp))
    prog = _SockFprog(len(_seccomp) // 8, ctypes.cast(buf, ctypes.c_void_p))
    _check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 'no_new_privs')
    _check(libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0), 'seccomp')


def _read_exact(n):
    buf = b''
    while len(buf) < n:
        chunk = os.read(0, n - len(buf))
        if not chunk:
            os._exit(0)  # the engine ended the stage before it started
        buf += chunk
    return buf


def _native_stage():
    """P1 of a native stage: the header before the program's stdin (runtimes/plans.ts nativeHeader).
    Writes its files into /work and lowers the loader's limits to the stage's (lowering needs no privilege)."""
    spec = json.loads(_read_exact(struct.unpack('>I', _read_exact(4))[0]))
    for f in spec['files']:
        p = os.path.join('/work', f['name'])
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, 'w', encoding='utf-8') as fh:
            fh.write(f['content'])
    for name, v in spec.get('rlimits', {}).items():
        r = {'fsize': resource.RLIMIT_FSIZE, 'nofile': resource.RLIMIT_NOFILE}[name]
        resource.setrlimit(r, (v, v))
    return spec


def _spawn_stage(spec, run_sock):
    """The native stage's program (pid 2), spawned by its P1 with posix_spawn (vfork and exec: no
    copy of P1's page tables, no copy-on-write of its pages, nothing of Python in the program's
    memory), with the dispositions a shell would give it, not Python's. P1 installs the program's
    seccomp filter on itself first (the child inherits it; all P1 does after this is wait, forward
    signals and report). The program's pid, or None when it cannot start (reported as 127)."""
    os.chdir('/work')
    argv = spec['argv']
    _install_seccomp()
    try:
        return os.posix_spawn(argv[0], argv, spec['env'], file_actions=[(os.POSIX_SPAWN_CLOSE, run_sock.fileno())],
                              setsigdef=(signal.SIGPIPE, signal.SIGXFSZ, signal.SIGINT), setsigmask=())
    except OSError as e:
        os.write(2, ('cannot start %s: %s\n' % (argv[0], e.strerror)).encode())
        return None


def _program():
    # C3: the run's own process (its run socket already closed). Nothing of the zygote but its warm imports.
    # Its monitor and init are not dumpable (nothing may attach to them); the program is, as any process:
    # p1.c made it dumpable again, moved it to /work and installed the seccomp filter, which it never
    # leaves, before it returned here (program_prologue).
    for s, handler in _PROGRAM_SIGNALS:
        _signal.signal(s, handler)
    g = {'__name__': '__conveyor_boot__', '__builtins__': __builtins__, '_conveyor_forked': True}
    exec(_boot, g)
    os._exit(0)


# The native loader's per-run mounts: name (in the fork message) -> (root holding every candidate, mount point, writable).
NATIVE_MOUNTS = {'prog': ('/artifacts', '/prog', False), 'out': ('/outs', '/out', True), 'pch': ('/pchs', '/pch', False)}


def _native_mounts(spec):
    """The run's own artifact at /prog (or compile output dir at /out, precompiled headers at /pch);
    every root that holds other runs' directories is then hidden under an empty, read-only tmpfs."""
    for key, name in spec.items():
        root, target, writable = NATIVE_MOUNTS[key]
        if not name.replace('-', '').replace('_', '').isalnum() or len(name) > 128:
            raise ValueError('bad mount name')
        _mount(root + '/' + name, target, None, MS_BIND)
        _mount(None, target, None, MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV | (0 if writable else MS_RDONLY))
    for root, _target, _w in NATIVE_MOUNTS.values():
        if os.path.isdir(root):
            _mount('tmpfs', root, 'tmpfs', MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, 'size=4k,mode=0')


def _map_ids(uid, gid):
    """In a new user namespace: only our own uid and gid exist."""
    for path, data in (('/proc/self/uid_map', b'%d %d 1\n' % (uid, uid)), ('/proc/self/setgroups', b'deny'), ('/proc/self/gid_map', b'%d %d 1\n' % (gid, gid))):
        fd = os.open(path, os.O_WRONLY)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)


def _fresh_view(uid, gid, work_bytes, tmp_bytes):
    """In a new mount, network and UTS namespace: new tmpfs on /work, /tmp and /dev/shm, a new devpts,
    /dev read-only, loopback up, the hostname set."""
    _mount(None, '/', None, MS_REC | MS_PRIVATE)
    _mount('tmpfs', '/work', 'tmpfs', MS_NOSUID | MS_NODEV, 'size=%d,mode=0755,uid=%d,gid=%d' % (work_bytes, uid, gid))
    _mount('tmpfs', '/tmp', 'tmpfs', MS_NOSUID | MS_NODEV, 'size=%d,mode=0755,uid=%d,gid=%d' % (tmp_bytes, uid, gid))
    if os.path.isdir('/dev/shm'):
        _mount('tmpfs', '/dev/shm', 'tmpfs', MS_NOSUID | MS_NODEV | MS_NOEXEC, 'size=%d,mode=1777' % tmp_bytes)
    if os.path.isdir('/dev/pts'):
        _mount('devpts', '/dev/pts', 'devpts', MS_NOSUID | MS_NOEXEC, 'newinstance,ptmxmode=0666,mode=620')
    _mount(None, '/dev', None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
    _loopback_up()
    socket.sethostname('conveyor')


def _clone_run():
    """fork() straight into the run's new namespaces, the child being pid 1 of its pid namespace: a
    run needs no monitor process outside them. A raw clone skips Python's after-fork hooks
    in the child, which only matter for threads and held locks: this runtime has one thread and holds
    no lock here (PyDLL keeps the GIL across the call, so the child owns it as the parent did)."""
    pid = _syscall(SYS_CLONE, RUN_NAMESPACES | signal.SIGCHLD, 0, 0, 0, 0)
    if pid < 0:
        e = ctypes.get_errno()
        raise OSError(e, 'clone: %s' % os.strerror(e))
    return pid


def _enter(run_sock, work_bytes, tmp_bytes):
    # A P1's first steps (a Python run's or a native stage's), before anything of its run: its ids, its
    # pid reported by the kernel, the spawner's "go" once it is in the run's cgroup, then its own view.
    _map_ids(_UID, _GID)  # first: the credentials below name uid and gid as this namespace maps them
    run_sock.sendmsg([b'pid'], [(socket.SOL_SOCKET, socket.SCM_CREDENTIALS, struct.pack('iII', os.getpid(), _UID, _GID))])
    if run_sock.recv(16) != b'go':
        os._exit(125)
    libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    _fresh_view(_UID, _GID, work_bytes, tmp_bytes)
    _mount('proc', '/proc', 'proc', MS_NOSUID | MS_NODEV | MS_NOEXEC)


def _stage_init(run_sock, work_bytes, tmp_bytes, mounts):
    # P1 of a native stage: as a Python run's, plus the stage's own directories and header; it forks
    # the stage's program as pid 2, which execs it.
    _enter(run_sock, work_bytes, tmp_bytes)
    if mounts == 'later':
        # Forked ahead of its stage: the stage's own directories arrive once it is taken.
        mounts = json.loads(run_sock.recv(4096) or b'null')
        if not isinstance(mounts, dict):
            raise ValueError('no mounts for the stage')
    _native_mounts(mounts)
    stage = _native_stage()
    _drop_capabilities()
    _reap_and_report(run_sock, _spawn_stage(stage, run_sock))


def _reap_and_report(run_sock, child):
    """P1 once the program (its child) runs: forwards signals to it, reaps orphans, and reports its status
    (127 for a program that could not start: child None)."""
    for fd in (0, 1, 2):
        os.close(fd)
    if child is None:
        run_sock.send(b'{"code":127,"signal":null,"cpuMs":0}')
        os._exit(0)

    def forward(sig, _frame):
        try:
            os.kill(child, sig)
        except ProcessLookupError:
            pass

    for s in FORWARDED:
        signal.signal(s, forward)
    while True:
        try:
            pid, status = os.wait()
        except InterruptedError:
            continue
        if pid == child:
            break
    # As the run's init exits with it (128+N for signal N, as bwrap's pid 1), with the CPU of all it reaped.
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    run_sock.send(('{"code":%d,"signal":null,"cpuMs":%.3f}' % (code, (ru.ru_utime + ru.ru_stime) * 1000)).encode())
    os._exit(0)


def _serve():
    ctl = socket.socket(fileno=_ctl_fd)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    os.write(2, b'\0conveyor-ready\n')
    buf, size, cfds = ctypes.create_string_buffer(12 + 1024), ctypes.c_int(0), (ctypes.c_int * 4)()
    while True:
        # p1.c's loop receives every message and clones each Python run itself, with no Python statement
        # per run in this runtime (each touched its pages after every fork had write-protected them); it
        # comes back with 0 in a run's program, or with a native stage's message.
        if _p1.conveyor_serve(ctl.fileno(), RUN_NAMESPACES, _UID, _GID, _CAP_LAST, buf, len(buf), ctypes.byref(size), cfds) == 0:
            try:
                _program()
            except BaseException:  # noqa: BLE001 - the program's set-up (its own code reports for itself): never back into this loop
                traceback.print_exc()
            os._exit(1)
        msg, fds = buf.raw[: size.value], list(cfds)
        _run_id, work_bytes, tmp_bytes = struct.unpack('>III', msg[:12])
        try:
            mounts = json.loads(msg[12:])
            pid = _clone_run()
        except (OSError, ValueError) as e:
            # The kernel refuses the namespaces: the engine runs this one elsewhere and stops forking.
            os.write(fds[3], ('setup-failed: %s' % e).encode())
            pid = -1
        if pid == 0:
            run_sock = None
            try:
                ctl.close()
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                for i, fd in enumerate(fds[:3]):
                    os.dup2(fd, i)
                for fd in fds[:3]:
                    if fd > 2:
                        os.close(fd)
                # Nothing the zygote holds may reach a run: only 0-2 and the run's own socket stay open.
                os.closerange(3, fds[3])
                os.closerange(fds[3] + 1, 1 << 16)
                run_sock = socket.socket(fileno=fds[3])
                _stage_init(run_sock, work_bytes, tmp_bytes, mounts)
            except BaseException as e:  # noqa: BLE001 - report anything, then die
                # Before the program started (P1): the engine runs it elsewhere and stops forking.
                try:
                    run_sock.send(('setup-failed: %s' % e).encode())
                except Exception:
                    os.write(2, ('conveyor zygote: cannot start the run: %s\n' % e).encode())
                finally:
                    os._exit(125)
        for fd in fds:
            os.close(fd)


_serve()
