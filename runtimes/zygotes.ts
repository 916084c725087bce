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
  starts: number;
  fallbacks: number;
  /** Set when a child could not be set up (e.g. the kernel refuses namespaces): no more forks. */
  disabled: string | null;
}

export interface ZygoteStats { ready: boolean; forks: number; starts: number; fallbacks: number; disabled?: string }

export class Zygotes {
  private zygotes = new Map<string, Zygote>();
  private closed = false;

  constructor(private deps: SandboxDeps, private onError: (e: unknown) => void = () => undefined) {}

  /** A run forked from the warm runtime for key (limits from runPlan), or null when none is ready. */
  take(key: string, plan: () => SandboxPlan, runPlan: SandboxPlan, mounts?: NativeMounts): Sandbox | null {
    const z = this.ensure(key, plan);
    if (z.disabled || !z.ready || !z.sandbox?.alive) {
      z.fallbacks++;
      return null;
    }
    z.forks++;
    return new Sandbox(this.deps, { ...runPlan, announcesReady: false, socket: false }, { zygote: z.sandbox.proc.id, mounts });
  }

  /** Stops forking for key: its children cannot be set up here. */
  disable(key: string, why: string): void {
    const z = this.zygotes.get(key);
    if (!z || z.disabled) return;
    z.disabled = why;
    this.onError(new Error(`forking runtime ${key} disabled: ${why}`));
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
    for (const [k, z] of this.zygotes) out[k] = { ready: z.ready && !!z.sandbox?.alive, forks: z.forks, starts: z.starts, fallbacks: z.fallbacks, ...(z.disabled ? { disabled: z.disabled } : {}) };
    return out;
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.zygotes.values()].map((z) => z.sandbox).filter((s): s is Sandbox => !!s);
    for (const z of this.zygotes.values()) (z.sandbox = null), (z.ready = false);
    await Promise.all(all.map((s) => s.destroy()));
  }

  private ensure(key: string, plan: () => SandboxPlan): Zygote {
    let z = this.zygotes.get(key);
    if (!z) {
      z = { plan: plan(), sandbox: null, ready: false, forks: 0, starts: 0, fallbacks: 0, disabled: null };
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
        void s.destroy();
        if (!this.closed) this.onError(new Error(`forking runtime exited (code ${e.code}, signal ${e.signal}); it restarts on the next run`));
      },
      () => undefined,
    );
  }
}
