import fs from 'node:fs';
import os from 'node:os';
import { StringDecoder } from 'node:string_decoder';
import { runCgroupName, type CgroupFactory, type RunCgroup } from './cgroup';
import type { NativeP1 } from './native-p1';
import type { ExitInfo, NativeMounts, SpawnedProcess, Spawner } from './spawner/client';
import type { OutputChunk, RunStatus, StageLimits, StageResult } from './types';

/**
 * One bubblewrap sandbox in its own cgroup, used exactly once. It can be
 * spawned ahead of time (a warm pool entry waiting on stdin) and dispatched
 * later; limits and accounting start at dispatch.
 */
export interface SandboxPlan {
  /** [source, dest, mode]; sources must be reachable by the spawner (host paths or /run/conveyor views). */
  binds: [string, string, 'ro' | 'rw'][];
  /** Files copied into the sandbox (dest absolute). */
  files: { dest: string; content: Buffer; mode?: string }[];
  env: Record<string, string>;
  argv: string[];
  workBytes: number;
  rlimits: { fsize: number; nofile: number };
  cpuCores: number;
  /** Initial cgroup limits while the sandbox idles in a pool. */
  idleLimits: Pick<StageLimits, 'memoryBytes' | 'pids'>;
  /** The sandbox announces readiness with READY_MARKER on stderr. */
  announcesReady?: boolean;
  /** A forking runtime: gets a control socket from the spawner (argv/env token "@SOCK@"). */
  socket?: boolean;
  /** Empty directories to create on the read-only root (mount points of forked runs). */
  dirs?: string[];
}

/** Size of the private /tmp tmpfs of every sandbox and forked run. */
export const TMP_BYTES = 64 * 1024 * 1024;

export const READY_MARKER = '\u0000conveyor-ready\n';
/** The uid and gid programs run as inside the sandbox (nobody; runtimes/spawner/spawner.py uses the same). */
export const SANDBOX_UID = 65534;
const PASSWD = `root:x:0:0:root:/root:/bin/false\nnobody:x:${SANDBOX_UID}:${SANDBOX_UID}:nobody:/work:/bin/false\n`;
const GROUP = `root:x:0:\nnogroup:x:${SANDBOX_UID}:\n`;

/**
 * Where the seccomp filter of a forking runtime's children lies: the runtime
 * itself creates namespaces for each child, so bwrap cannot filter it; it
 * installs the filter in each child before the program runs (python_zygote.py).
 */
export const CHILD_SECCOMP_PATH = '/boot/seccomp.bpf';
/** Where a forking runtime finds a Python run's pid 1 in C (runtimes/native-p1.ts); python_zygote.py loads it at start and cannot fork runs without it. */
export const CHILD_P1_PATH = '/boot/p1.so';
/**
 * What P1 execs once it has forked the program (p1_reaper.c). Mode 0111: P1 may run it but not read
 * it, and the kernel leaves a process that execs a file it cannot read non-dumpable.
 */
export const CHILD_P1_REAPER_PATH = '/boot/p1-reaper';

/** bwrap's command line for a plan; `seccomp` is the BPF filter every program runs under (runtimes/seccomp.ts), `p1` a forking runtime's native pid 1. */
export function bwrapArgv(plan: SandboxPlan, seccomp: Buffer | null, p1: NativeP1 | null = null): { argv: string[]; files: Buffer[] } {
  const files: Buffer[] = [];
  const fd = (content: Buffer) => `@FD${files.push(content) - 1}@`;
  const a = ['/usr/bin/bwrap', '--unshare-all', '--die-with-parent', '--new-session', '--uid', String(SANDBOX_UID), '--gid', String(SANDBOX_UID), '--hostname', 'conveyor'];
  a.push('--ro-bind', '/usr', '/usr', '--symlink', 'usr/bin', '/bin', '--symlink', 'usr/sbin', '/sbin', '--symlink', 'usr/lib', '/lib', '--symlink', 'usr/lib64', '/lib64');
  for (const f of ['/etc/ld.so.cache', '/etc/alternatives']) if (fs.existsSync(f)) a.push('--ro-bind', f, f);
  a.push('--ro-bind-data', fd(Buffer.from(PASSWD)), '/etc/passwd', '--ro-bind-data', fd(Buffer.from(GROUP)), '/etc/group');
  a.push('--proc', '/proc', '--dev', '/dev');
  a.push('--size', String(TMP_BYTES), '--tmpfs', '/tmp');
  a.push('--size', String(plan.workBytes), '--perms', '0755', '--tmpfs', '/work');
  for (const [src, dest, mode] of plan.binds) a.push(mode === 'ro' ? '--ro-bind' : '--bind', src, dest);
  for (const d of plan.dirs ?? []) a.push('--dir', d);
  const dirs = new Set<string>();
  for (const f of plan.files) {
    const parts = f.dest.split('/').slice(1, -1);
    for (let i = 2; i <= parts.length; i++) {
      const d = '/' + parts.slice(0, i).join('/');
      if (!dirs.has(d)) (dirs.add(d), a.push('--dir', d));
    }
    a.push('--perms', f.mode ?? '0644', '--file', fd(f.content), f.dest);
  }
  if (seccomp && plan.socket) a.push('--perms', '0444', '--file', fd(seccomp), CHILD_SECCOMP_PATH);
  else if (seccomp) a.push('--seccomp', fd(seccomp));
  if (p1 && plan.socket) a.push('--perms', '0555', '--file', fd(p1.so), CHILD_P1_PATH, '--perms', '0111', '--file', fd(p1.reaper), CHILD_P1_REAPER_PATH);
  // The root tmpfs holds bwrap's mount points (/etc, /boot, …): freeze it.
  a.push('--remount-ro', '/', '--clearenv');
  for (const [k, v] of Object.entries(plan.env)) a.push('--setenv', k, v);
  a.push('--chdir', '/work', '--', ...plan.argv);
  return { argv: a, files };
}

export interface SandboxDeps {
  spawner: Spawner;
  cgroups: CgroupFactory;
  maxOutput: number;
  /** The seccomp filter (BPF) of every sandbox; null only where a test says so. */
  seccomp: Buffer | null;
  /** A Python run's pid 1 in C, for forking runtimes (runtimes/native-p1.ts); a forking runtime started without it fails at start. */
  p1?: NativeP1 | null;
}

export interface DispatchOptions {
  stage: 'compile' | 'run';
  limits: StageLimits;
  /** Written to stdin first (the warm runtime's code header), then stdin. */
  input: Buffer;
  closeStdin: boolean;
  onChunk?: (c: OutputChunk) => void;
  seq: { n: number };
}

export interface Dispatched {
  result: Promise<StageResult>;
  write(data: string): void;
  end(): void;
  kill(reason: 'cancelled'): void;
  /** Delivers a signal (a number from os.constants.signals) to the program's processes. */
  signal(sig: number): void;
}

let counter = 0;
// The first name of each number (SIGABRT, not its alias SIGIOT).
const signalNames = new Map<number, string>(Object.entries(os.constants.signals).reverse().map(([name, n]) => [n, name]));

export class Sandbox {
  readonly proc: SpawnedProcess;
  readonly cg: RunCgroup;
  readonly ready: Promise<void>;
  private early: { stream: 'stdout' | 'stderr'; data: Buffer }[] = [];
  private sink: ((stream: 'stdout' | 'stderr', data: Buffer) => void) | null = null;
  private exitInfo: ExitInfo | null = null;
  private dead = false;
  private cpuCores: number;

  /**
   * With `forkFrom`, the process is not a new bwrap but a child of that warm
   * forking runtime (its SpawnedProcess id; for the native loader, with the
   * compiled artifact mounted at /prog), in fresh namespaces and this
   * sandbox's cgroup (runtimes/zygotes.ts); the plan then gives only limits.
   */
  constructor(deps: SandboxDeps, plan: SandboxPlan, forkFrom?: { zygote: number; mounts?: NativeMounts | 'later' }) {
    this.cpuCores = plan.cpuCores;
    this.cg = deps.cgroups.create(runCgroupName('s', ++counter));
    this.cg.setLimits({ ...plan.idleLimits, cpuCores: plan.cpuCores });
    if (plan.announcesReady) this.cg.setIdle(true);
    if (forkFrom !== undefined) {
      this.proc = deps.spawner.fork({ ...forkFrom, cgroups: this.cg.procsFiles, maxOut: deps.maxOutput, workBytes: plan.workBytes, tmpBytes: TMP_BYTES });
    } else {
      const { argv, files } = bwrapArgv(plan, deps.seccomp, deps.p1);
      this.proc = deps.spawner.spawn({ argv, files, cgroups: this.cg.procsFiles, rlimits: plan.rlimits, maxOut: deps.maxOutput, socket: plan.socket });
    }
    let markReady: () => void = () => undefined;
    this.ready = plan.announcesReady ? new Promise<void>((r) => (markReady = r)) : Promise.resolve();
    let pendingMarker = plan.announcesReady ? Buffer.alloc(0) : null;
    this.proc.onData = (stream, data) => {
      if (pendingMarker && stream === 'stderr') {
        pendingMarker = Buffer.concat([pendingMarker, data]);
        if (pendingMarker.length < READY_MARKER.length && Buffer.from(READY_MARKER).subarray(0, pendingMarker.length).equals(pendingMarker)) return;
        const hasMarker = pendingMarker.subarray(0, READY_MARKER.length).toString() === READY_MARKER;
        data = hasMarker ? pendingMarker.subarray(READY_MARKER.length) : pendingMarker;
        pendingMarker = null;
        if (hasMarker) markReady();
        if (data.length === 0) return;
      }
      if (this.sink) this.sink(stream, data);
      else this.early.push({ stream, data });
    };
    this.proc.exited.then(
      (e) => ((this.exitInfo = e), (this.dead = true), markReady()),
      () => ((this.dead = true), markReady()),
    );
  }

  /** A child forked ahead with mounts 'later' (runtimes/zygotes.ts): the directories of the stage that took it. */
  mount(mounts: NativeMounts): void {
    this.proc.mount?.(mounts);
  }

  /** A forked run whose namespaces could not be built (the program never started): why. */
  get setupFailure(): string | null {
    return this.exitInfo?.setupFailed ?? null;
  }

  /** A pooled sandbox whose process already died (e.g. killed while idle) is useless. */
  get alive(): boolean {
    return !this.dead;
  }

  dispatch(o: DispatchOptions): Dispatched {
    const { limits } = o;
    let killedFor: RunStatus | null = null;
    const out = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
    const count = { stdout: 0, stderr: 0 };
    const truncated = { stdout: false, stderr: false };
    const decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
    const kill = (why: RunStatus) => {
      if (!killedFor) killedFor = why;
      void this.cg.killAll();
    };
    this.cg.setLimits({ memoryBytes: limits.memoryBytes, pids: limits.pids, cpuCores: this.cpuCores });
    this.cg.setIdle(false);
    this.cg.resetAccounting();
    const started = performance.now();
    const take = (stream: 'stdout' | 'stderr', data: Buffer) => {
      const room = limits.outputBytes - count[stream];
      if (room <= 0) {
        truncated[stream] = true;
        kill('output_limit');
        return;
      }
      const piece = data.length > room ? data.subarray(0, room) : data;
      count[stream] += piece.length;
      out[stream].push(piece);
      if (o.onChunk) {
        const text = decoders[stream].write(piece);
        if (text) o.onChunk({ stage: o.stage, stream, data: text, seq: o.seq.n++ });
      }
      if (data.length > room) {
        truncated[stream] = true;
        kill('output_limit');
      }
    };
    this.sink = take;
    for (const e of this.early.splice(0)) take(e.stream, e.data);
    this.proc.onOverflow = (stream) => ((truncated[stream] = true), kill('output_limit'));
    if (o.input.length) this.proc.write(o.input);
    if (o.closeStdin) this.proc.end();
    const wallTimer = setTimeout(() => kill('time_limit'), limits.wallMs);
    const cpuTimer = setInterval(() => {
      if (this.cg.usage().cpuMs > limits.cpuMs) kill('time_limit');
    }, Math.max(10, Math.min(50, limits.cpuMs / 4)));
    const result = (async (): Promise<StageResult> => {
      let exit: ExitInfo | null = this.exitInfo;
      try {
        exit = exit ?? (await this.proc.exited);
      } catch {
        exit = null;
      }
      const wallMs = performance.now() - started;
      clearTimeout(wallTimer);
      clearInterval(cpuTimer);
      const usage = this.cg.usage();
      const oom = this.cg.oomKilled();
      // Nothing can join an empty cgroup that its own processes no longer hold: kill only when the spawner saw one left.
      if (!exit?.drained) await this.cg.killAll();
      // Off the next stage's path: its process is gone, so a clean cgroup serves again (cgroup.ts recycle).
      setTimeout(() => void (exit ? this.cg.recycle() : this.cg.destroy()), 20);
      for (const s of ['stdout', 'stderr'] as const) {
        const rest = decoders[s].end();
        if (rest && o.onChunk) o.onChunk({ stage: o.stage, stream: s, data: rest, seq: o.seq.n++ });
      }
      let signal: string | null = null;
      let exitCode: number | null = exit?.code ?? null;
      if (exit?.signal) signal = signalNames.get(exit.signal) ?? `SIG${exit.signal}`;
      else if (exitCode !== null && exitCode > 128 && exitCode < 160 && signalNames.has(exitCode - 128)) {
        // bwrap reports a command killed by signal N as exit status 128+N.
        signal = signalNames.get(exitCode - 128)!;
        exitCode = null;
      }
      let why = killedFor as RunStatus | null;
      if (usage.cpuMs > limits.cpuMs && !why) why = 'time_limit';
      let status: RunStatus;
      if (!exit) status = 'internal_error';
      else if (oom && why !== 'output_limit') status = 'memory_limit';
      else if (why) status = why;
      else if (exitCode === 0) status = 'ok';
      else status = 'runtime_error';
      return {
        status,
        stdout: Buffer.concat(out.stdout).toString('utf8'),
        stderr: Buffer.concat(out.stderr).toString('utf8'),
        exitCode,
        signal,
        wallMs: Math.round(wallMs * 100) / 100,
        cpuMs: Math.round(Math.max(usage.cpuMs, 0) * 100) / 100,
        peakMemoryBytes: usage.peakMemoryBytes,
        stdoutTruncated: truncated.stdout,
        stderrTruncated: truncated.stderr,
      };
    })();
    return {
      result,
      write: (d) => this.proc.write(Buffer.from(d)),
      end: () => this.proc.end(),
      kill: (why) => kill(why),
      signal: (sig) => this.proc.signal(sig),
    };
  }

  /** Discard an unused sandbox. */
  async destroy(): Promise<void> {
    await this.cg.destroy();
  }
}
