import fs from 'node:fs';
import path from 'node:path';
import { runCgroupName, type CgroupFactory, type RunCgroup } from './cgroup';
import type { StageSandbox } from './engine-parts';
import type { DependencySet, LanguageDef, Toolchain } from './languages';
import { COMPILER_SERVER_FOOTPRINT, compilerServerPlan, workBytes } from './plans';
import { bwrapArgv, type Dispatched, type DispatchOptions, type SandboxPlan } from './sandbox';
import type { SpawnedProcess, Spawner } from './spawner/client';
import type { RunStatus, StageLimits, StageResult } from './types';
import type { ResolvedSpec } from './validate';

/**
 * Warm compilers (docs/decisions/runtimes-compiler-server.md): per language
 * that has one (Java), a sandboxed JVM that keeps javac loaded and JIT-warm
 * and compiles one request at a time from sources in memory to class files in
 * memory; it never runs a program. The engine writes the class files into the
 * compile's own output directory. Each compile is a stage with its limits: the
 * server's cgroup is accounted afresh, a compile past its wall or CPU limit
 * (or cancelled) kills the server, which starts again for a later run. When no
 * server is ready, it is busy, or the stage's limits are below the server's
 * footprint, take() answers null and the engine compiles in a sandbox of its
 * own; when the server dies under a compile for a reason that is not the
 * compile's limit, the stage reports setupFailure and the engine does the same.
 */

const READY = 0x52454459;
const ANSWER = 0x434f4d50;
const MAX_DIAGNOSTICS = 1024 * 1024;

export interface CompilerServerStats { ready: boolean; compiles: number; starts: number; fallbacks: number; crashes: number }

export interface CompilerServerDeps {
  spawner: Pick<Spawner, 'spawn'>;
  cgroups: Pick<CgroupFactory, 'create'>;
  seccomp: Buffer | null;
  compileDefaults: StageLimits;
  cpuCores: number;
}

interface Server {
  plan: SandboxPlan;
  proc: SpawnedProcess | null;
  cg: RunCgroup | null;
  ready: boolean;
  busy: boolean;
  /** Bytes of stdout not yet parsed. */
  buf: Buffer;
  onFrame: ((status: number, diagnostics: Buffer, classes: { path: string; data: Buffer }[]) => void) | null;
  stats: CompilerServerStats;
  readyWaiters: (() => void)[];
  /** Starts in a row that died before the server was warm; at MAX_FAILED_STARTS it is not started again. */
  failedStarts: number;
}

const MAX_FAILED_STARTS = 3;

let counter = 0;

/** One answer frame, or null while incomplete. */
export function parseAnswer(buf: Buffer): { status: number; diagnostics: Buffer; classes: { path: string; data: Buffer }[]; used: number } | null {
  let at = 0;
  const need = (n: number) => buf.length >= at + n;
  if (!need(9)) return null;
  if (buf.readUInt32BE(0) !== ANSWER) throw new Error('compiler server: bad answer frame');
  const status = buf.readUInt8(4);
  at = 5;
  const bytes = (): Buffer | null => {
    if (!need(4)) return null;
    const n = buf.readUInt32BE(at);
    if (!need(4 + n)) return null;
    const b = buf.subarray(at + 4, at + 4 + n);
    at += 4 + n;
    return b;
  };
  const diagnostics = bytes();
  if (!diagnostics || !need(4)) return null;
  const count = buf.readUInt32BE(at);
  at += 4;
  const classes: { path: string; data: Buffer }[] = [];
  for (let i = 0; i < count; i++) {
    const p = bytes();
    const data = p && bytes();
    if (!p || !data) return null;
    classes.push({ path: p.toString('utf8'), data: Buffer.from(data) });
  }
  return { status, diagnostics: Buffer.from(diagnostics), classes, used: at };
}

export function encodeRequest(files: { name: string; content: string }[], options: string[], maxFile: number, maxTotal: number, maxDiag: number): Buffer {
  const parts: Buffer[] = [];
  const int = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    parts.push(b);
  };
  const bytes = (s: string) => {
    const b = Buffer.from(s, 'utf8');
    int(b.length);
    parts.push(b);
  };
  int(files.length);
  for (const f of files) (bytes(f.name), bytes(f.content));
  int(options.length);
  for (const o of options) bytes(o);
  const tail = Buffer.alloc(20);
  tail.writeBigInt64BE(BigInt(maxFile), 0);
  tail.writeBigInt64BE(BigInt(maxTotal), 8);
  tail.writeInt32BE(maxDiag, 16);
  parts.push(tail);
  return Buffer.concat(parts);
}

/** A class file's path as the server names it: package directories and a name, nothing else. */
const CLASS_PATH = /^([A-Za-z_$][A-Za-z0-9_$]*\/){0,32}[A-Za-z_$][A-Za-z0-9_$]*\.class$/;

export class CompilerServers {
  private servers = new Map<string, Server>();
  private closed = false;

  constructor(private deps: CompilerServerDeps, private onError: (e: unknown) => void = () => undefined) {}

  /** Whether a language has a compiler server at all. */
  static serves(lang: LanguageDef): boolean {
    return lang.id === 'java';
  }

  /** The compile stage of this run on the warm compiler, writing into outDir; null when it cannot take it now. */
  take(r: ResolvedSpec, outDir: string): StageSandbox | null {
    if (!CompilerServers.serves(r.lang) || this.closed) return null;
    const s = this.ensure(r.lang, r.depSet, r.toolchain);
    const l = r.limits.compile;
    if (!s.ready || s.busy || !s.proc || l.memoryBytes < COMPILER_SERVER_FOOTPRINT.memoryBytes || l.pids < COMPILER_SERVER_FOOTPRINT.pids) {
      s.stats.fallbacks++;
      return null;
    }
    s.busy = true;
    return this.session(s, r, outDir);
  }

  /** Starts the server for a language; resolves when it is warm (or has died trying). */
  async warm(lang: LanguageDef, set: DependencySet, toolchain: Toolchain): Promise<void> {
    if (!CompilerServers.serves(lang) || this.closed) return;
    const s = this.ensure(lang, set, toolchain);
    if (!s.ready && s.proc) await new Promise<void>((r) => s.readyWaiters.push(r));
  }

  stats(): Record<string, CompilerServerStats> {
    const out: Record<string, CompilerServerStats> = {};
    for (const [k, s] of this.servers) out[k] = { ...s.stats, ready: s.ready && !!s.proc };
    return out;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.servers.values()].map((s) => this.stop(s)));
  }

  private key(lang: LanguageDef, set: DependencySet): string {
    return `${lang.id}:${set.name}`;
  }

  private ensure(lang: LanguageDef, set: DependencySet, toolchain: Toolchain): Server {
    const key = this.key(lang, set);
    let s = this.servers.get(key);
    if (!s) {
      const plan = compilerServerPlan({ lang, depSet: set, toolchain }, this.deps.compileDefaults, this.deps.cpuCores);
      s = { plan, proc: null, cg: null, ready: false, busy: false, buf: Buffer.alloc(0), onFrame: null, stats: { ready: false, compiles: 0, starts: 0, fallbacks: 0, crashes: 0 }, readyWaiters: [], failedStarts: 0 };
      this.servers.set(key, s);
    }
    if (!s.proc && !this.closed && s.failedStarts < MAX_FAILED_STARTS) this.start(s);
    return s;
  }

  private start(s: Server): void {
    let cg: RunCgroup;
    let proc: SpawnedProcess;
    try {
      cg = this.deps.cgroups.create(runCgroupName('c', ++counter));
      cg.setLimits({ ...s.plan.idleLimits, cpuCores: s.plan.cpuCores });
      cg.setIdle(true);
      const { argv, files } = bwrapArgv(s.plan, this.deps.seccomp);
      proc = this.deps.spawner.spawn({ argv, files, cgroups: cg.procsFiles, rlimits: s.plan.rlimits, maxOut: 2 ** 50 });
    } catch (e) {
      this.onError(e);
      return;
    }
    Object.assign(s, { proc, cg, ready: false, busy: false, buf: Buffer.alloc(0), onFrame: null });
    s.stats.starts++;
    let stderr = '';
    proc.onData = (stream, data) => {
      if (stream === 'stderr') {
        stderr = (stderr + data.toString('utf8')).slice(-4096);
        return;
      }
      s.buf = Buffer.concat([s.buf, data]);
      if (!s.ready) {
        if (s.buf.length < 4) return;
        if (s.buf.readUInt32BE(0) !== READY) return void this.fail(s, proc, `compiler server: unexpected output before ready`);
        s.buf = s.buf.subarray(4);
        s.ready = true;
        s.failedStarts = 0;
        for (const w of s.readyWaiters.splice(0)) w();
      }
      let frame;
      try {
        frame = parseAnswer(s.buf);
      } catch (e) {
        return void this.fail(s, proc, String(e));
      }
      if (!frame) return;
      s.buf = s.buf.subarray(frame.used);
      const f = s.onFrame;
      s.onFrame = null;
      f?.(frame.status, frame.diagnostics, frame.classes);
    };
    proc.exited.then(
      (e) => this.exited(s, proc, cg, `exit code ${e.code}, signal ${e.signal}${stderr ? `: ${stderr.trim().slice(-400)}` : ''}`),
      (e) => this.exited(s, proc, cg, String(e)),
    );
  }

  private fail(s: Server, proc: SpawnedProcess, why: string): void {
    this.onError(new Error(why));
    if (s.proc === proc) void s.cg?.killAll();
  }

  private exited(s: Server, proc: SpawnedProcess, cg: RunCgroup, why: string): void {
    if (s.proc !== proc) return;
    if (!s.ready && ++s.failedStarts >= MAX_FAILED_STARTS) this.onError(new Error(`compiler server failed to start ${MAX_FAILED_STARTS} times (${why}); compiles run in sandboxes of their own`));
    Object.assign(s, { proc: null, cg: null, ready: false });
    for (const w of s.readyWaiters.splice(0)) w();
    const f = s.onFrame;
    s.onFrame = null;
    void cg.destroy();
    if (f) f(-1, Buffer.from(why), []);
    else if (!this.closed) this.onError(new Error(`compiler server exited (${why}); it starts again on the next compile`));
  }

  private async stop(s: Server): Promise<void> {
    const cg = s.cg;
    if (!cg) return;
    await cg.killAll();
  }

  /** One compile on server s: a stage as the engine dispatches any other. */
  private session(s: Server, r: ResolvedSpec, outDir: string): StageSandbox {
    let setupFailure: string | null = null;
    const self = this;
    return {
      get setupFailure() {
        return setupFailure;
      },
      dispatch(o: DispatchOptions): Dispatched {
        const limits = o.limits;
        const cg = s.cg!;
        let killedFor: RunStatus | null = null;
        const kill = (why: RunStatus) => {
          if (killedFor) return;
          killedFor = why;
          void cg.killAll();
        };
        cg.setIdle(false);
        cg.resetAccounting();
        const started = performance.now();
        const sources = r.files.filter((f) => f.name.endsWith('.java'));
        const answered = new Promise<{ status: number; diagnostics: Buffer; classes: { path: string; data: Buffer }[] }>((resolve) => {
          s.onFrame = (status, diagnostics, classes) => resolve({ status, diagnostics, classes });
        });
        s.proc!.write(encodeRequest(sources.length ? sources : r.files.slice(0, 1), r.flags, limits.fileBytes, workBytes(limits), Math.min(MAX_DIAGNOSTICS, limits.outputBytes + 1)));
        const wallTimer = setTimeout(() => kill('time_limit'), limits.wallMs);
        const cpuTimer = setInterval(() => {
          if (cg.usage().cpuMs > limits.cpuMs) kill('time_limit');
        }, Math.max(10, Math.min(50, limits.cpuMs / 4)));
        const result = (async (): Promise<StageResult> => {
          const a = await answered;
          clearTimeout(wallTimer);
          clearInterval(cpuTimer);
          const usage = cg.usage();
          const oom = cg.oomKilled();
          const wallMs = Math.round((performance.now() - started) * 100) / 100;
          s.busy = false;
          if (s.cg === cg) cg.setIdle(true);
          const stage = (status: RunStatus, stderr: string, extra: Partial<StageResult> = {}): StageResult => ({
            status, stdout: '', stderr, exitCode: status === 'ok' ? 0 : null, signal: null, wallMs, cpuMs: Math.round(usage.cpuMs * 100) / 100, peakMemoryBytes: usage.peakMemoryBytes, stdoutTruncated: false, stderrTruncated: false, ...extra,
          });
          if (a.status < 0) {
            if (killedFor) return stage(killedFor, '');
            // Died on its own (its heap, a JVM crash): the compile was not judged; the engine compiles it in a sandbox.
            s.stats.crashes++;
            setupFailure = oom ? 'the compiler server ran out of its memory' : `the compiler server died: ${a.diagnostics.toString('utf8')}`;
            self.onError(new Error(setupFailure));
            return stage('internal_error', '');
          }
          s.stats.compiles++;
          if (a.status === 3) s.stats.crashes++;
          let text = a.diagnostics.toString('utf8');
          let status: RunStatus = a.status === 0 ? 'ok' : 'runtime_error';
          let truncated = false;
          if (a.diagnostics.length > limits.outputBytes) {
            text = a.diagnostics.subarray(0, limits.outputBytes).toString('utf8');
            (truncated = true), (status = 'output_limit');
          }
          if (text && o.onChunk) o.onChunk({ stage: o.stage, stream: 'stderr', data: text, seq: o.seq.n++ });
          if (status === 'ok') writeClasses(outDir, a.classes);
          return stage(status, text, { exitCode: status === 'ok' ? 0 : status === 'output_limit' ? null : 1, stderrTruncated: truncated });
        })();
        return {
          result,
          write: () => undefined,
          end: () => undefined,
          kill: (why) => kill(why),
          // The compiler is not the program: a signal during its stage is not delivered to a shared server.
          signal: () => undefined,
        };
      },
    };
  }
}

function writeClasses(outDir: string, classes: { path: string; data: Buffer }[]): void {
  for (const c of classes) {
    if (!CLASS_PATH.test(c.path)) throw new Error(`compiler server answered a class path "${c.path}"`);
    const dest = path.join(outDir, c.path);
    fs.mkdirSync(path.dirname(dest), { recursive: true, mode: 0o755 });
    fs.writeFileSync(dest, c.data, { mode: 0o644 });
  }
}
