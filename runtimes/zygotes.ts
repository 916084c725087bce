import { Sandbox, type SandboxDeps, type SandboxPlan } from './sandbox';
import type { NativeMounts } from './spawner/client';

/**
 * Warm forking runtimes (docs/decisions/runtimes-forking-sandboxes.md): per
 * key (runtime + dependency set) one bubblewrap sandbox whose interpreter has
 * imported what the runs need and never runs a program. Each run is a child
 * it forks on the spawner's request, in fresh user, mount, pid, network, IPC
 * and UTS namespaces with new tmpfs mounts, in the run's own cgroup
 * (bootstrap/python_zygote.py). When the forking runtime is not ready (start,
 * crash), take() answers null and the engine uses the one-shot warm pool.
 */
interface Zygote {
  plan: SandboxPlan;
  sandbox: Sandbox | null;
  ready: boolean;
  forks: number;
  /** Forks served by a child forked ahead (the rest were forked on demand, in the run's wall time). */
  fromPrepared: number;
  starts: number;
  fallbacks: number;
  /** Set when a child could not be set up (e.g. the kernel refuses namespaces): no more forks. */
  disabled: string | null;
  /**
   * The next runs' children, forked ahead from `from` with `plan`'s limits, by plan
   * (planKey; at most PLANS_PER_RUNTIME plans), oldest first (the one most likely set up
   * by now): each joins its own cgroup and builds its namespaces, then its bootstrap waits
   * for the code on stdin; a native stage's child waits for the stage's mounts first.
   */
  prepared: Map<string, { child: Sandbox; from: Sandbox }[]>;
}

export interface ZygoteStats { ready: boolean; forks: number; prepared: number; starts: number; fallbacks: number; disabled?: string }

export class Zygotes {
  private zygotes = new Map<string, Zygote>();
  private closed = false;

  /** `ahead`: children kept forked ahead per forking runtime and stage plan (CONVEYOR_RUNTIMES_FORK_AHEAD). */
  constructor(private deps: SandboxDeps, private onError: (e: unknown) => void = () => undefined, private ahead = 2) {}

  /** A run forked from the warm runtime for key (limits from runPlan), or null when none is ready. */
  take(key: string, plan: () => SandboxPlan, runPlan: SandboxPlan, mounts?: NativeMounts): Sandbox | null {
    const z = this.ensure(key, plan);
    if (z.disabled || !z.ready || !z.sandbox?.alive) {
      z.fallbacks++;
      return null;
    }
    z.forks++;
    const from = z.sandbox;
    const sig = planKey(runPlan, !!mounts);
    const queue = z.prepared.get(sig) ?? [];
    let child: Sandbox | null = null;
    while (queue.length && !child) {
      const p = queue.shift()!;
      if (p.from === from && p.child.alive) child = p.child;
      else void p.child.destroy();
    }
    if (child) {
      z.fromPrepared++;
      if (mounts) child.mount(mounts);
    } else {
      child = this.fork(from, runPlan, mounts);
    }
    // The next child is forked as soon as this one is taken, so that it has set itself up by the
    // time the next run arrives (forked once this run had ended, it was still setting up when a
    // closed loop's next run took it). Not in this tick: the taken run's input reaches the spawner
    // first. The cgroup move that may wait for an RCU grace period is the spawner's placer thread's.
    setImmediate(() => this.prepare(z, from, sig, runPlan, !!mounts));
    return child;
  }

  private fork(from: Sandbox, runPlan: SandboxPlan, mounts?: NativeMounts | 'later'): Sandbox {
    return new Sandbox(this.deps, { ...runPlan, announcesReady: false, socket: false }, { zygote: from.proc.id, mounts });
  }

  /** Forks runs' children ahead, up to `ahead` for this plan (each never having run anything but the bootstrap, one per run). */
  private prepare(z: Zygote, from: Sandbox, sig: string, plan: SandboxPlan, native: boolean): void {
    if (this.closed || z.disabled || z.sandbox !== from || !from.alive || !z.ready) return;
    let queue = z.prepared.get(sig);
    if (!queue) {
      while (z.prepared.size >= PLANS_PER_RUNTIME) {
        const [oldest, o] = z.prepared.entries().next().value!;
        z.prepared.delete(oldest);
        for (const p of o) void p.child.destroy();
      }
      z.prepared.set(sig, (queue = []));
    }
    try {
      while (queue.length < this.ahead) queue.push({ child: this.fork(from, plan, native ? 'later' : undefined), from });
    } catch (e) {
      this.onError(e);
    }
  }

  /** Stops forking for key: its children cannot be set up here. */
  disable(key: string, why: string): void {
    const z = this.zygotes.get(key);
    if (!z || z.disabled) return;
    z.disabled = why;
    this.onError(new Error(`forking runtime ${key} disabled: ${why}`));
    this.dropPrepared(z);
    const s = z.sandbox;
    (z.sandbox = null), (z.ready = false);
    void s?.destroy();
  }

  /** Starts the forking runtime for key; resolves when it is ready. */
  async warm(key: string, plan: () => SandboxPlan): Promise<void> {
    const z = this.ensure(key, plan);
    await z.sandbox?.ready;
  }

  stats(): Record<string, ZygoteStats> {
    const out: Record<string, ZygoteStats> = {};
    for (const [k, z] of this.zygotes) out[k] = { ready: z.ready && !!z.sandbox?.alive, forks: z.forks, prepared: z.fromPrepared, starts: z.starts, fallbacks: z.fallbacks, ...(z.disabled ? { disabled: z.disabled } : {}) };
    return out;
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.zygotes.values()].map((z) => z.sandbox).filter((s): s is Sandbox => !!s);
    for (const z of this.zygotes.values()) {
      for (const q of z.prepared.values()) for (const p of q) all.push(p.child);
      z.prepared.clear();
      (z.sandbox = null), (z.ready = false);
    }
    await Promise.all(all.map((s) => s.destroy()));
  }

  private dropPrepared(z: Zygote): void {
    for (const q of z.prepared.values()) for (const p of q) void p.child.destroy();
    z.prepared.clear();
  }

  private ensure(key: string, plan: () => SandboxPlan): Zygote {
    let z = this.zygotes.get(key);
    if (!z) {
      z = { plan: plan(), sandbox: null, ready: false, forks: 0, fromPrepared: 0, starts: 0, fallbacks: 0, disabled: null, prepared: new Map() };
      this.zygotes.set(key, z);
    }
    if (!z.sandbox && !this.closed && !z.disabled) this.start(z);
    return z;
  }

  private start(z: Zygote): void {
    let s: Sandbox;
    try {
      s = new Sandbox(this.deps, z.plan);
    } catch (e) {
      this.onError(e);
      return;
    }
    z.sandbox = s;
    z.ready = false;
    z.starts++;
    // It only forks on request: normal CPU weight, so forks are not starved behind runs.
    s.ready.then(() => {
      if (z.sandbox === s && s.alive) (z.ready = true), s.cg.setIdle(false);
    }, () => undefined);
    s.proc.exited.then(
      (e) => {
        if (z.sandbox !== s) return;
        z.sandbox = null;
        z.ready = false;
        this.dropPrepared(z);
        void s.destroy();
        if (!this.closed) this.onError(new Error(`forking runtime exited (code ${e.code}, signal ${e.signal}); it restarts on the next run`));
      },
      () => undefined,
    );
  }
}

/** Stage plans a forking runtime keeps children forked ahead for (a native loader's compile and run stages). */
const PLANS_PER_RUNTIME = 2;

/** A prepared child serves a run whose plan gives the same sandbox (its tmpfs sizes, CPU share and idle limits). */
function planKey(p: SandboxPlan, native: boolean): string {
  return JSON.stringify([p.workBytes, p.cpuCores, p.idleLimits, native]);
}
