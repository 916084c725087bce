#!/usr/bin/python3
"""Conveyor spawner: the small long-lived process that forks sandboxes.

The engine lives in a large Node process; fork() there costs time proportional
to its heap (see docs/decisions/runtimes-spawner.md). This helper is ~10 MB, so
its forks are cheap. It speaks over stdin/stdout with the engine:

  engine -> spawner: one JSON object per line
    {"op":"spawn","id":N,"argv":[...],"cgroups":[".../cgroup.procs"],
     "rlimits":{"fsize":B,"nofile":N},"files":["<base64>",...],"maxOut":B}
      argv may contain "@FD<i>@" which is replaced with the fd of files[i]
      (a memfd holding that content), for bwrap --file / --ro-bind-data.
    {"op":"stdin","id":N,"data":"<base64>"}  {"op":"eof","id":N}
    {"op":"mounts","id":N,"mounts":{...}}  the stage's directories for a run forked
      with "mounts":"later" (sent on its run socket once it has its cgroup)
    {"op":"signal","id":N,"signal":10}  the signal goes to every process of the
      program: each process in the sandbox's cgroup except bubblewrap's own
      (its outer monitor and the sandbox's pid 1), as a terminal's Ctrl-C
      reaches its foreground job
  spawner -> engine: frames  [u8 type][u32 id][u32 len][payload]
    1 stdout bytes, 2 stderr bytes, 3 exit JSON, 4 ready JSON (id 0, once at start),
    5 error text, 6 overflow JSON {"stream"}
  An exit (3) comes once the status and the end of the pipes are in and the
  sandbox's cgroup holds none of its processes (drain_cgroup), with "drained":
  true; after DRAIN_DEADLINE_S with processes still listed, "drained": false.

At start it enters a private mount namespace and bind-mounts the "views"
(argv[1], JSON {name: hostPath}) read-only under /run/conveyor/<name>, so the
unprivileged sandbox can reach toolchains and caches that live under 0700
directories such as /root, without changing the host's mount table.
"""
import base64
import collections
import ctypes
import errno
import json
import os
import resource
import select
import signal
import socket
import struct
import sys
import threading
import time
import queue

UID = 65534
VIEW_ROOT = '/run/conveyor'
libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNS = 0x20000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 32, 4096, 16384, 1 << 18


def _mount(src, target, fstype, flags, data=None):
    res = libc.mount(src and src.encode(), target.encode(), fstype and fstype.encode(), flags,
                     data and data.encode())
    if res != 0:
        e = ctypes.get_errno()
        raise OSError(e, 'mount %s on %s: %s' % (src, target, os.strerror(e)))


def setup_views(views, writable):
    if libc.unshare(CLONE_NEWNS) != 0:
        raise OSError(ctypes.get_errno(), 'unshare(CLONE_NEWNS)')
    _mount(None, '/', None, MS_REC | MS_PRIVATE)
    os.makedirs(VIEW_ROOT, exist_ok=True)
    _mount('conveyor-views', VIEW_ROOT, 'tmpfs', MS_NOSUID | MS_NODEV, 'mode=0755,size=1m')
    for name, src in views.items():
        target = os.path.join(VIEW_ROOT, name)
        if os.path.isdir(src):
            os.makedirs(target, exist_ok=True)
        else:
            open(target, 'a').close()
        _mount(src, target, None, MS_BIND | MS_REC)
        flags = MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV
        if name not in writable:
            flags |= MS_RDONLY
        _mount(None, target, None, flags)


out_fd = sys.stdout.fileno()
out_buf = bytearray()
procs = {}       # id -> Proc
by_pid = {}      # pid -> id
by_fd = {}       # fd -> (id, stream)


class Poller:
    """The part of selectors' interface this loop uses, on epoll directly: register, unregister, `fd in`,
    and poll, which gives (fd, events) pairs; what an fd was registered with is `data[fd]`, looked up when
    its event is handled (one unregistered by an earlier handler of the same poll is skipped). Each
    wake-up of a forked run (~8 per run) went through selectors' key objects and lookups, ~15 % of this
    process's Python per run (Session 17, cProfile of the engine-only loop)."""

    def __init__(self):
        self._epoll = select.epoll()
        self.data = {}

    def register(self, fd, events, data):
        self._epoll.register(fd, events)
        self.data[fd] = data

    def unregister(self, fd):
        del self.data[fd]
        try:
            self._epoll.unregister(fd)
        except OSError:  # as selectors: an fd closed before it was unregistered has left epoll already
            pass

    def __contains__(self, fd):
        return fd in self.data

    def poll(self, timeout):
        return self._epoll.poll(-1 if timeout is None else timeout)


READ, WRITE = select.EPOLLIN, select.EPOLLOUT
sel = Poller()


def frame(kind, pid_id, payload):
    out_buf.extend(struct.pack('>BII', kind, pid_id, len(payload)))
    out_buf.extend(payload)


def flush_out():
    # The engine reads continuously, so a blocking write is acceptable; it
    # keeps the protocol simple and back-pressures chatty children.
    view = memoryview(out_buf)
    n = 0
    while n < len(view):
        n += os.write(out_fd, view[n:])
    del view
    out_buf.clear()


BWRAP = '/usr/bin/bwrap'


class Proc:
    def __init__(self, pid_id, pid, stdin_fd, max_out, cgroups=()):
        self.id = pid_id
        self.pid = pid
        self.cgroups = list(cgroups)
        self.stdin_fd = stdin_fd
        self.stdin_buf = bytearray()
        self.stdin_eof = False
        self.open_streams = 2
        self.counts = [0, 0]
        self.overflowed = [False, False]
        self.max_out = max_out
        self.exit = None
        self.zygote_sock = None  # a zygote's end of its control socket
        self.fork_queue = collections.deque()  # a zygote's fork messages its socket had no room for yet
        self.run_sock = None     # a forked run's end of its per-run socket
        self.setup_failed = None  # a forked run whose namespaces could not be built
        self.mounts = None       # a child forked ahead: its stage's mounts, sent after "go"
        self.go_sent = False
        self.place_pid = None    # a forked run's process moved into its cgroups (a Python run's program; a native stage's P1)
        self.pidfds = {}         # fd -> pid: what is still in its cgroup once it has exited (drain_cgroup)
        self.drain_deadline = None  # when its exit is reported even though its cgroup is not empty


def spawn(msg):
    pid_id = msg['id']
    files = []
    try:
        for content in msg.get('files', []):
            fd = os.memfd_create('conveyor-src', 0)
            data = base64.b64decode(content)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.lseek(fd, 0, os.SEEK_SET)
            files.append(fd)
        argv = [a for a in msg['argv']]
        for i, fd in enumerate(files):
            token = '@FD%d@' % i
            argv = [str(fd) if a == token else a for a in argv]
        zygote_sock = None
        if msg.get('socket'):
            # A forking runtime (zygote): it receives one message per run on this socket.
            zygote_sock, child_sock = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            files.append(child_sock.detach())
            argv = [str(files[-1]) if a == '@SOCK@' else a for a in argv]
        r_in, w_in = os.pipe()
        r_out, w_out = os.pipe()
        r_err, w_err = os.pipe()
    except OSError as e:
        for fd in files:
            os.close(fd)
        frame(5, pid_id, ('spawn failed: %s' % e).encode())
        return
    pid = os.fork()
    if pid == 0:
        try:
            os.setsid()
            for path in msg.get('cgroups', []):
                with open(path, 'w') as f:
                    f.write(str(os.getpid()))
            os.dup2(r_in, 0)
            os.dup2(w_out, 1)
            os.dup2(w_err, 2)
            for fd in files:
                os.set_inheritable(fd, True)
            lim = msg.get('rlimits', {})
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            if 'fsize' in lim:
                resource.setrlimit(resource.RLIMIT_FSIZE, (lim['fsize'], lim['fsize']))
            if 'nofile' in lim:
                resource.setrlimit(resource.RLIMIT_NOFILE, (lim['nofile'], lim['nofile']))
            if 'stack' in lim:
                resource.setrlimit(resource.RLIMIT_STACK, (lim['stack'], lim['stack']))
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            signal.signal(signal.SIGPIPE, signal.SIG_DFL)
            signal.set_wakeup_fd(-1)
            if msg.get('dropPrivileges', True):
                os.setgroups([])
                os.setgid(UID)
                os.setuid(UID)
            # bwrap's own processes (the sandbox's pid 1) must not carry the
            # engine's environment: a program could read it via /proc/1/environ.
            # bwrap's own processes (the sandbox's pid 1) must not carry the
            # engine's environment: a program could read it via /proc/1/environ.
            os.execve(argv[0], argv, {})
        except BaseException as e:  # noqa: BLE001 - report anything, then die
            try:
                os.write(2, ('conveyor spawner: cannot start sandbox: %s\n' % e).encode())
            finally:
                os._exit(127)
    for fd in (r_in, w_out, w_err, *files):
        os.close(fd)
    os.set_blocking(w_in, False)
    proc = Proc(pid_id, pid, w_in, msg.get('maxOut', 1 << 62), msg.get('cgroups', []))
    proc.zygote_sock = zygote_sock
    procs[pid_id] = proc
    by_pid[pid] = pid_id
    for stream, fd in ((0, r_out), (1, r_err)):
        os.set_blocking(fd, False)
        by_fd[fd] = (pid_id, stream)
        sel.register(fd, READ, 'child')


def fork_run(msg):
    """A run forked by a zygote (python_zygote.py) instead of a new bwrap.

    The zygote gets the run's stdin/stdout/stderr pipes and one end of a
    per-run socket. The forked monitor reports its pid there (SCM_CREDENTIALS,
    translated by the kernel into our pid namespace): "pid" from a native stage's P1,
    which we move into the run's cgroups and answer "go"; "monitor" from a Python run's P1,
    which goes on, and then "pid" from its program, which we move and answer. We later read
    the exit status from the same socket.
    """
    pid_id = msg['id']
    zygote = procs.get(msg.get('zygote'))
    if zygote is None or zygote.zygote_sock is None or zygote.exit is not None:
        frame(5, pid_id, b'fork failed: the warm runtime is gone')
        return
    opened = []
    try:
        for _ in range(3):
            opened.extend(os.pipe())
        r_in, w_in, r_out, w_out, r_err, w_err = opened
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        opened.append(theirs.detach())
        mine.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        head = struct.pack('>III', pid_id & 0xFFFFFFFF, int(msg['workBytes']), int(msg.get('tmpBytes', 64 << 20))) + (json.dumps(msg['mounts']).encode() if msg.get('mounts') else b'')
        zygote.fork_queue.append((head, (r_in, w_out, w_err, opened[-1])))
        try:
            send_forks(zygote)
        except OSError:
            zygote.fork_queue.pop()
            mine.close()
            raise
    except OSError as e:
        for fd in opened:
            os.close(fd)
        frame(5, pid_id, ('fork failed: %s' % e).encode())
        return
    os.set_blocking(w_in, False)
    proc = Proc(pid_id, None, w_in, msg.get('maxOut', 1 << 62))
    proc.run_sock = mine
    proc.cgroups = msg.get('cgroups', [])
    procs[pid_id] = proc
    for stream, fd in ((0, r_out), (1, r_err)):
        os.set_blocking(fd, False)
        by_fd[fd] = (pid_id, stream)
        sel.register(fd, READ, 'child')
    mine.setblocking(False)
    by_fd[mine.fileno()] = (pid_id, 'run')
    sel.register(mine.fileno(), READ, 'run')


def send_forks(zygote):
    """Sends a zygote the fork messages queued for it, never waiting for room: a Python run's P1 holds its
    runtime until this loop has answered "go" (p1.c), so a send that waited for the runtime to read
    would wait forever once its socket is full (~278 fork messages in its send buffer). The last
    message's error is raised when it is the only one queued (fork_run reports it); a queued one that
    fails later is dropped, and its run sees its run socket and pipes close."""
    q = zygote.fork_queue
    while q:
        head, fds = q[0]
        try:
            zygote.zygote_sock.sendmsg([head], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack('4i', *fds))], socket.MSG_DONTWAIT)
        except BlockingIOError:
            if zygote.zygote_sock.fileno() not in sel:
                sel.register(zygote.zygote_sock.fileno(), WRITE, ('zygote', zygote.id))
            return
        except OSError:
            if len(q) == 1:
                raise
        q.popleft()
        for fd in fds:
            os.close(fd)
    if zygote.zygote_sock.fileno() in sel:
        sel.unregister(zygote.zygote_sock.fileno())


def drop_forks(zygote):
    """A zygote that has ended: its queued runs will not start (their run sockets and pipes close)."""
    if zygote.zygote_sock is not None and zygote.zygote_sock.fileno() in sel:
        sel.unregister(zygote.zygote_sock.fileno())
    while zygote.fork_queue:
        for fd in zygote.fork_queue.popleft()[1]:
            os.close(fd)


def read_run_socket(fd):
    pid_id, _ = by_fd[fd]
    proc = procs[pid_id]
    sock = proc.run_sock
    try:
        data, anc, _flags, _addr = sock.recvmsg(256, socket.CMSG_SPACE(struct.calcsize('iII')))
    except BlockingIOError:
        return
    except OSError:
        data, anc = b'', []
    if proc.place_pid is None and (data == b'pid' or (data == b'monitor' and proc.pid is None)):
        pid = None
        for level, kind, payload in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid = struct.unpack('iII', payload[:12])[0]
        if not pid:
            placed(proc, OSError('no credentials'))
            return
        if data == b'monitor':
            # A Python run's P1 (p1.c): the run's pid 1, signalled and killed through, never placed. It
            # goes on without an answer; the program it forks reports "pid" next and waits.
            proc.pid = pid
            return
        if proc.pid is None:
            proc.pid = pid  # a native stage's P1 (python_zygote.py): its monitor and what is placed
        proc.place_pid = pid
        # On cgroup v1 the first move into a cgroup after a quiet spell waits for an RCU grace
        # period (~10 ms): a thread makes it, so other runs' output and exits are not held up.
        to_place.put(proc)
        return
    if data.startswith(b'setup-failed'):
        proc.setup_failed = data.decode('utf-8', 'replace')
        return
    if data and proc.exit is None:
        try:
            proc.exit = json.loads(data.decode())
        except ValueError:
            proc.exit = {'code': None, 'signal': signal.SIGKILL, 'cpuMs': 0}
        return
    if not data:
        # The monitor died without a status: killed with its cgroup, or never started.
        sel.unregister(fd)
        del by_fd[fd]
        sock.close()
        proc.run_sock = None
        if proc.exit is None:
            proc.exit = {'code': None, 'signal': signal.SIGKILL, 'cpuMs': 0}
        maybe_finish(proc)


# How long an exit waits for the sandbox's cgroup to empty once its status and pipes are in: what
# is left only has to finish exiting. One still there by then (stuck in the kernel) is left to the
# engine, which kills what remains and does not serve that cgroup again (runtimes/cgroup.ts recycle).
DRAIN_DEADLINE_S = 2.0
draining = {}  # id -> Proc whose exit waits for its cgroup to empty


def _listed(proc):
    # Every process of the sandbox is in the first file's controller (v1: memory, joined first; v2: the one).
    if not proc.cgroups:
        return set()
    try:
        fd = os.open(proc.cgroups[0], os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return set()
    try:
        return {int(p) for p in os.read(fd, 1 << 16).split()}
    except (OSError, ValueError):
        return set()
    finally:
        os.close(fd)


def drain_cgroup(proc):
    """Watches (pidfds) what is still in the sandbox's cgroup when everything else of its exit is in.
    The sandbox's pid 1 (bwrap's, or a forked run's P1) sends its status and closes the pipes while it
    still exits, killing and reaping what is left of its pid namespace; the outer bwrap is reaped
    once pid 2 has exited. The engine serves the cgroup to the next run as soon as the exit is
    reported, so it is reported once they are gone. A pidfd counts only if its pid is still listed
    after it was opened: then it is the run's process, not a new one that took a freed pid."""
    listed = _listed(proc)
    opened = {}
    for pid in listed:
        try:
            opened[os.pidfd_open(pid)] = pid
        except OSError:  # gone meanwhile
            pass
    still = _listed(proc) if opened else set()
    for fd, pid in opened.items():
        if pid not in still:
            os.close(fd)
            continue
        proc.pidfds[fd] = pid
        by_fd[fd] = (proc.id, 'member')
        sel.register(fd, READ, 'member')


def forget_member(proc, fd):
    sel.unregister(fd)
    del by_fd[fd]
    os.close(fd)
    del proc.pidfds[fd]


def read_member(fd):
    pid_id, kind = by_fd.get(fd, (None, None))
    proc = procs.get(pid_id)
    if kind == 'member' and proc is not None and fd in proc.pidfds:
        forget_member(proc, fd)
        if not proc.pidfds:
            maybe_finish(proc)


def expire_draining():
    now = time.monotonic()
    for proc in [p for p in draining.values() if p.drain_deadline <= now]:
        for fd in list(proc.pidfds):
            forget_member(proc, fd)
        maybe_finish(proc)


def select_timeout():
    if not draining:
        return None
    return max(0.0, min(p.drain_deadline for p in draining.values()) - time.monotonic())


to_place = queue.SimpleQueue()    # procs whose pid is in, for the placer thread
placements = queue.SimpleQueue()  # (proc, error or None) from the placer thread
placed_r, placed_w = os.pipe()


# The placer's cgroup.procs descriptors, kept open by path (least recently used first): the engine
# serves a run's cgroup again to later runs (runtimes/cgroup.ts recycle), and an open and a close of a
# cgroup file cost more than the write (~7 us of ~10 per controller). A write to a removed cgroup fails
# (ENODEV), and the path is then opened again: it may name a new cgroup.
procs_fds = collections.OrderedDict()
PROCS_FDS_MAX = 80  # 16 cgroups of five controllers (v1), as many as the engine keeps to serve again


def write_procs(path, pid):
    fd = procs_fds.pop(path, None)
    if fd is not None:
        try:
            os.write(fd, pid)
            procs_fds[path] = fd
            return
        except OSError:
            os.close(fd)  # a cgroup removed since (or a pid it refused): once more through a fresh open
    fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    try:
        os.write(fd, pid)
    except OSError:
        os.close(fd)
        raise
    procs_fds[path] = fd
    while len(procs_fds) > PROCS_FDS_MAX:
        os.close(procs_fds.popitem(last=False)[1])


def place_in_cgroups(proc):
    # Only the writes; the main loop answers the child (placed). os.open, not open(): a buffered
    # text file costs an fstat, an ioctl and two lseeks more per controller.
    err = None
    try:
        pid = b'%d' % proc.place_pid
        for path in proc.cgroups:
            write_procs(path, pid)
    except OSError as e:
        err = e
    placements.put((proc, err))
    os.write(placed_w, b'.')


def placer():
    # One thread for every move, not one per run: the kernel serialises moves into cgroups anyway
    # (v1: one global rwsem), and a thread per run cost its start (clone, stack, signal masks) each time.
    while True:
        place_in_cgroups(to_place.get())


def placed(proc, err):
    sock = proc.run_sock
    if err is None and sock is not None:
        try:
            sock.send(b'go')
            proc.go_sent = True
            if proc.mounts is not None:
                sock.send(proc.mounts)
            return
        except OSError as e:
            err = e
    frame(2, proc.id, ('conveyor spawner: cannot place the run in its cgroup: %s\n' % err).encode())
    if proc.pid:
        try:
            os.kill(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def pump_stdin(proc):
    while proc.stdin_buf and proc.stdin_fd is not None:
        try:
            n = os.write(proc.stdin_fd, proc.stdin_buf[:65536])
        except BlockingIOError:
            break
        except OSError:  # child closed its stdin (EPIPE): drop the rest
            proc.stdin_buf.clear()
            break
        del proc.stdin_buf[:n]
    registered = proc.stdin_fd is not None and proc.stdin_fd in sel
    if proc.stdin_buf and proc.stdin_fd is not None and not registered:
        sel.register(proc.stdin_fd, WRITE, 'stdin')
    elif not proc.stdin_buf and registered:
        sel.unregister(proc.stdin_fd)
    if not proc.stdin_buf and proc.stdin_eof and proc.stdin_fd is not None:
        os.close(proc.stdin_fd)
        proc.stdin_fd = None


def maybe_finish(proc):
    if proc.exit is None or proc.open_streams or proc.run_sock is not None:
        return
    expired = proc.drain_deadline is not None and proc.drain_deadline <= time.monotonic()
    if not proc.pidfds and not expired:
        drain_cgroup(proc)  # again after the last watched one: it may have forked before it died
    if proc.pidfds:
        if proc.drain_deadline is None:
            proc.drain_deadline = time.monotonic() + DRAIN_DEADLINE_S
            draining[proc.id] = proc
        return
    draining.pop(proc.id, None)
    if proc.stdin_fd is not None:
        if proc.stdin_fd in sel:
            sel.unregister(proc.stdin_fd)
        os.close(proc.stdin_fd)
        proc.stdin_fd = None
    if proc.zygote_sock is not None:
        drop_forks(proc)
        proc.zygote_sock.close()
        proc.zygote_sock = None
    if proc.setup_failed:
        proc.exit['setupFailed'] = proc.setup_failed
    # The engine kills what is left in the cgroup only when its last read here was not empty (the deadline).
    proc.exit['drained'] = not expired
    frame(3, proc.id, json.dumps(proc.exit).encode())
    del procs[proc.id]


def read_child(fd):
    pid_id, stream = by_fd[fd]
    proc = procs[pid_id]
    try:
        data = os.read(fd, 65536)
    except BlockingIOError:
        return
    except OSError:
        data = b''
    if not data:
        sel.unregister(fd)
        os.close(fd)
        del by_fd[fd]
        proc.open_streams -= 1
        maybe_finish(proc)
        return
    room = proc.max_out - proc.counts[stream]
    proc.counts[stream] += len(data)
    if room > 0:
        frame(1 + stream, pid_id, data[:room])
    if len(data) > room and not proc.overflowed[stream]:
        proc.overflowed[stream] = True
        frame(6, pid_id, json.dumps({'stream': 'stdout' if stream == 0 else 'stderr'}).encode())


def reap():
    while True:
        try:
            pid, status, ru = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        pid_id = by_pid.pop(pid, None)
        if pid_id is None or pid_id not in procs:
            continue
        proc = procs[pid_id]
        proc.exit = {
            'code': os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
            'signal': os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
            'cpuMs': (ru.ru_utime + ru.ru_stime) * 1000,
        }
        maybe_finish(proc)


def handle(msg):
    op = msg.get('op')
    if op == 'spawn':
        spawn(msg)
        return
    if op == 'fork':
        fork_run(msg)
        return
    proc = procs.get(msg.get('id'))
    if proc is None:
        return
    if op == 'stdin':
        if not proc.stdin_eof:
            proc.stdin_buf.extend(base64.b64decode(msg['data']))
            pump_stdin(proc)
    elif op == 'mounts':
        # A child forked ahead with "mounts": "later" is taken by a stage: its directories.
        if proc.mounts is None and proc.run_sock is not None:
            proc.mounts = json.dumps(msg['mounts']).encode()
            if proc.go_sent:
                try:
                    proc.run_sock.send(proc.mounts)
                except OSError:
                    pass
    elif op == 'eof':
        proc.stdin_eof = True
        pump_stdin(proc)
    elif op == 'signal':
        if proc.pid is None:
            return
        sig = int(msg.get('signal', signal.SIGTERM))
        if proc.run_sock is not None and sig not in (signal.SIGKILL, signal.SIGSTOP):
            # A forked run: its monitor forwards the signal through the run's pid 1 to the program.
            try:
                os.kill(proc.pid, sig)
            except ProcessLookupError:
                pass
        else:
            signal_program(proc, sig)


def _parent(pid):
    with open('/proc/%d/stat' % pid) as f:
        return int(f.read().rsplit(')', 1)[1].split()[1])


def _is_init(pid):
    """Whether pid is pid 1 of its own pid namespace (a forked run's monitor is)."""
    try:
        with open('/proc/%d/status' % pid) as f:
            for line in f:
                if line.startswith('NSpid:'):
                    return line.split()[-1] == '1'
    except OSError:
        pass
    return False


def signal_program(proc, sig):
    """Delivers sig to the program's processes: the cgroup's members but the sandbox's own
    (bwrap's monitor and pid 1; a forked run's monitor and its pid 1, the monitor's child)."""
    if not proc.cgroups:
        return
    try:
        with open(proc.cgroups[0]) as f:
            pids = [int(p) for p in f.read().split()]
    except (OSError, ValueError):
        return
    # The file, not its path: bwrap's pid 1 lives under a root where the path reads differently.
    st = os.stat(BWRAP)
    # A forked run's monitor outside its pid namespace has that namespace's pid 1 as its child: skipped too.
    monitor_outside = proc.run_sock is not None and not _is_init(proc.pid)
    for pid in pids:
        try:
            exe = os.stat('/proc/%d/exe' % pid)
            if pid == proc.pid or (exe.st_dev, exe.st_ino) == (st.st_dev, st.st_ino):
                continue
            if monitor_outside and _parent(pid) == proc.pid:
                continue
            os.kill(pid, sig)
        except (ProcessLookupError, FileNotFoundError, PermissionError):
            pass


def drain(fd):
    """Empties a non-blocking wake-up pipe (its bytes only say: look)."""
    try:
        while os.read(fd, 4096):
            pass
    except BlockingIOError:
        pass


def main():
    views = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    writable = set(json.loads(sys.argv[2])) if len(sys.argv) > 2 else set()
    if views:
        setup_views(views, writable)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    sel.register(wake_r, READ, 'wake')
    os.set_blocking(placed_r, False)
    sel.register(placed_r, READ, 'placed')
    threading.Thread(target=placer, name='placer', daemon=True).start()
    stdin_fd = sys.stdin.fileno()
    os.set_blocking(stdin_fd, False)
    sel.register(stdin_fd, READ, 'control')
    pending = bytearray()
    frame(4, 0, json.dumps({'pid': os.getpid(), 'ready': True}).encode())
    flush_out()
    while True:
        for fd, _events in sel.poll(select_timeout()):
            data = sel.data.get(fd)
            if data is None:
                continue
            if data == 'child':  # the most frequent first: a run's output and its end
                read_child(fd)
            elif data == 'run':
                read_run_socket(fd)
            elif data == 'control':
                try:
                    chunk = os.read(stdin_fd, 1 << 20)
                except BlockingIOError:
                    continue
                if not chunk:  # engine went away: take every sandbox with us
                    for proc in list(procs.values()):
                        if proc.pid is None:
                            continue
                        try:
                            os.kill(proc.pid, signal.SIGKILL)
                        except ProcessLookupError:
                            pass
                    return
                pending.extend(chunk)
                while True:
                    nl = pending.find(b'\n')
                    if nl < 0:
                        break
                    line = pending[:nl].decode()  # json.loads of bytes detects their encoding first
                    del pending[:nl + 1]
                    if line.strip():
                        handle(json.loads(line))
            elif data == 'wake':
                drain(wake_r)
                reap()
            elif data == 'placed':
                drain(placed_r)
                while True:
                    try:
                        proc, err = placements.get_nowait()
                    except queue.Empty:
                        break
                    placed(proc, err)
            elif isinstance(data, tuple) and data[0] == 'zygote':
                zygote = procs.get(data[1])
                if zygote is not None and zygote.zygote_sock is not None:
                    send_forks(zygote)
            elif data == 'member':
                read_member(fd)
            elif data == 'stdin':
                for proc in procs.values():
                    if proc.stdin_fd == fd:
                        pump_stdin(proc)
                        break
        # No reap() here: a child's exit raises SIGCHLD, whose byte on the wake-up pipe wakes this loop
        # ('wake' above reaps every child that has exited); here it was a wait4 per event, ~8 per run.
        if draining:
            expire_draining()
        if out_buf:
            flush_out()


if __name__ == '__main__':
    main()
