import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/**
 * Talks to spawner.py, the small helper that forks sandboxes so that the
 * large engine process never forks per run (docs/decisions/runtimes-spawner.md).
 */
export interface SpawnRequest {
  argv: string[];
  cgroups: string[];
  rlimits: { fsize?: number; nofile?: number; stack?: number };
  /** Contents exposed to the sandbox as memfds; argv tokens "@FD<i>@" name them. */
  files?: Buffer[];
  maxOut: number;
  dropPrivileges?: boolean;
  /** A forking runtime: the spawner passes it a control socket, whose fd replaces the argv token "@SOCK@". */
  socket?: boolean;
}

export interface NativeMounts { prog?: string; out?: string; pch?: string }

/** A run forked by a warm runtime spawned with `socket: true` (bootstrap/python_zygote.py). */
export interface ForkRequest {
  /** The id of the forking runtime's SpawnedProcess. */
  zygote: number;
  cgroups: string[];
  maxOut: number;
  workBytes: number;
  tmpBytes: number;
  /**
   * Native loader: directory names mounted at /prog (a cached artifact, ro), /out (compile output, rw), /pch (ro);
   * 'later' for a child forked ahead, which waits for them (SpawnedProcess.mount) before it forks the program.
   */
  mounts?: NativeMounts | 'later';
}

export interface ExitInfo {
  code: number | null;
  signal: number | null;
  cpuMs: number;
  /** A forked run whose sandbox could not be built: the program never started. */
  setupFailed?: string;
  /** The sandbox's cgroup was found empty (spawner.py drain_cgroup); false when the exit came at the drain deadline with processes left. */
  drained?: boolean;
}

export interface SpawnedProcess {
  readonly id: number;
  /** Resolves once no process of the sandbox is left in its cgroup (spawner.py drain_cgroup), its pid 1 included. */
  exited: Promise<ExitInfo>;
  onData: ((stream: 'stdout' | 'stderr', data: Buffer) => void) | null;
  onOverflow: ((stream: 'stdout' | 'stderr') => void) | null;
  write(data: Buffer | string): void;
  end(): void;
  /** Delivers a signal to the program: every process in the sandbox's cgroup but bubblewrap's own. */
  signal(sig: number): void;
  /** A child forked with mounts 'later': its stage's directories. */
  mount?(mounts: NativeMounts): void;
}

interface Pending {
  proc: SpawnedProcess;
  resolveExit: (e: ExitInfo) => void;
  rejectAll: (e: Error) => void;
}

export class Spawner {
  private child: ChildProcess;
  private nextId = 1;
  private live = new Map<number, Pending>();
  private buf: Buffer = Buffer.alloc(0);
  private closed = false;
  readonly ready: Promise<void>;

  constructor(views: Record<string, string>, writableViews: string[]) {
    const script = path.join(__dirname, 'spawner.py');
    this.child = spawn('/usr/bin/python3', ['-I', '-S', script, JSON.stringify(views), JSON.stringify(writableViews)], {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { PATH: '/usr/bin:/bin' },
    });
    let markReady: () => void = () => undefined;
    let failReady: (e: Error) => void = () => undefined;
    this.ready = new Promise<void>((res, rej) => {
      markReady = res;
      failReady = rej;
    });
    this.readyHooks = { markReady, failReady };
    this.child.stdout!.on('data', (d: Buffer) => this.onData(d));
    this.child.on('exit', (code, sig) => {
      const err = new Error(`sandbox spawner exited (code ${code}, signal ${sig})`);
      this.closed = true;
      failReady(err);
      for (const p of this.live.values()) p.rejectAll(err);
      this.live.clear();
    });
    this.child.stdin!.on('error', () => undefined);
  }

  private readyHooks: { markReady: () => void; failReady: (e: Error) => void };

  get pid(): number | undefined {
    return this.child.pid;
  }

  spawn(req: SpawnRequest): SpawnedProcess {
    return this.start({
      op: 'spawn',
      argv: req.argv,
      cgroups: req.cgroups,
      rlimits: req.rlimits,
      files: (req.files ?? []).map((f) => f.toString('base64')),
      maxOut: req.maxOut,
      dropPrivileges: req.dropPrivileges ?? true,
      socket: req.socket ?? false,
    });
  }

  /** A child of a warm forking runtime, in fresh namespaces and the given cgroups (see spawner.py fork_run). */
  fork(req: ForkRequest): SpawnedProcess {
    return this.start({ op: 'fork', ...req });
  }

  private start(msg: Record<string, unknown>): SpawnedProcess {
    const id = this.nextId++;
    let resolveExit!: (e: ExitInfo) => void;
    let rejectExit!: (e: Error) => void;
    const exited = new Promise<ExitInfo>((res, rej) => ((resolveExit = res), (rejectExit = rej)));
    exited.catch(() => undefined);
    const proc: SpawnedProcess = {
      id,
      exited,
      onData: null,
      onOverflow: null,
      write: (data) => this.send({ op: 'stdin', id, data: Buffer.from(data).toString('base64') }),
      end: () => this.send({ op: 'eof', id }),
      signal: (sig) => this.send({ op: 'signal', id, signal: sig }),
      mount: (mounts) => this.send({ op: 'mounts', id, mounts }),
    };
    this.live.set(id, {
      proc,
      resolveExit,
      rejectAll: (e) => rejectExit(e),
    });
    if (this.closed) {
      this.live.get(id)!.rejectAll(new Error('sandbox spawner is closed'));
      this.live.delete(id);
      return proc;
    }
    this.send({ ...msg, id });
    return proc;
  }

  private corked = false;

  /**
   * Requests made in the same tick go out in one write (a run's dispatch is its code header and,
   * for a batch run, the end of its stdin): each write wakes the spawner, which reads it alone.
   */
  private send(msg: object): void {
    if (this.closed) return;
    const stdin = this.child.stdin!;
    if (!this.corked) {
      this.corked = true;
      stdin.cork();
      process.nextTick(() => {
        this.corked = false;
        stdin.uncork();
      });
    }
    stdin.write(JSON.stringify(msg) + '\n');
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    let off = 0;
    while (this.buf.length - off >= 9) {
      const kind = this.buf.readUInt8(off);
      const id = this.buf.readUInt32BE(off + 1);
      const len = this.buf.readUInt32BE(off + 5);
      if (this.buf.length - off - 9 < len) break;
      const payload = this.buf.subarray(off + 9, off + 9 + len);
      off += 9 + len;
      this.dispatch(kind, id, payload);
    }
    this.buf = off === this.buf.length ? Buffer.alloc(0) : Buffer.from(this.buf.subarray(off));
  }

  private dispatch(kind: number, id: number, payload: Buffer): void {
    if (id === 0 && kind === 4) {
      this.readyHooks.markReady();
      return;
    }
    const p = this.live.get(id);
    if (!p) return;
    switch (kind) {
      case 1:
      case 2:
        p.proc.onData?.(kind === 1 ? 'stdout' : 'stderr', Buffer.from(payload));
        break;
      case 3:
        this.live.delete(id);
        p.resolveExit(JSON.parse(payload.toString()) as ExitInfo);
        break;
      case 5:
        this.live.delete(id);
        p.rejectAll(new Error(payload.toString()));
        break;
      case 6:
        p.proc.onOverflow?.((JSON.parse(payload.toString()) as { stream: 'stdout' | 'stderr' }).stream);
        break;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const done = new Promise<void>((res) => this.child.once('exit', () => res()));
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 2000);
    await done;
    clearTimeout(timer);
  }
}
