import { Sandbox, type SandboxDeps, type SandboxPlan } from './sandbox';

/**
 * Warm pools: per key (runtime + dependency set) a few sandboxes already
 * started inside bubblewrap and their cgroup, waiting for code. Each is used
 * exactly once and then destroyed; the pool refills in the background.
 */
interface Pool {
  plan: SandboxPlan;
  idle: Sandbox[];
  starting: number;
  hits: number;
  misses: number;
}

export class WarmPools {
  private pools = new Map<string, Pool>();
  /** Sizes set per key (setSize); the others keep the engine's default. */
  private sizes = new Map<string, number>();
  private closed = false;
  private refillDelayMs = 250;

  constructor(private deps: SandboxDeps, private size: number, private onError: (e: unknown) => void = () => undefined) {}

  /** Takes a warm sandbox, or starts one now (a miss); refills behind. */
  take(key: string, plan: () => SandboxPlan): { sandbox: Sandbox; hit: boolean } {
    const pool = this.pool(key, plan);
    let sandbox: Sandbox | undefined;
    while ((sandbox = pool.idle.shift()) && !sandbox.alive) void sandbox.destroy();
    const hit = !!sandbox;
    if (hit) pool.hits++;
    else pool.misses++;
    // Refill after the taken sandbox is done, or soon: starting an interpreter
    // would otherwise compete for the CPU with the run it is waiting behind.
    const chosen = sandbox ?? new Sandbox(this.deps, pool.plan);
    const timer = setTimeout(() => this.refill(key), this.refillDelayMs);
    chosen.proc.exited.finally(() => (clearTimeout(timer), this.refill(key))).catch(() => undefined);
    return { sandbox: chosen, hit };
  }

  /** Fills the pool for key and resolves when its sandboxes are ready. */
  async warm(key: string, plan: () => SandboxPlan): Promise<void> {
    const pool = this.pool(key, plan);
    this.refill(key);
    await Promise.all(pool.idle.map((s) => s.ready));
  }

  /**
   * Keeps `size` warm sandboxes for key from now on (the fleet's warm-pool
   * sizes, ops/fleet/warm-pools.ts): a larger pool fills at once, a smaller
   * one stops its surplus idle sandboxes.
   */
  setSize(key: string, plan: () => SandboxPlan, size: number): void {
    const pool = this.pool(key, plan);
    this.sizes.set(key, Math.max(0, Math.floor(size)));
    for (const s of pool.idle.splice(this.sizeOf(key))) void s.destroy();
    this.refill(key);
  }

  stats(): Record<string, { size: number; hits: number; misses: number; target: number }> {
    const out: Record<string, { size: number; hits: number; misses: number; target: number }> = {};
    for (const [k, p] of this.pools) out[k] = { size: p.idle.filter((s) => s.alive).length, hits: p.hits, misses: p.misses, target: this.sizeOf(k) };
    return out;
  }

  private sizeOf(key: string): number {
    return this.sizes.get(key) ?? this.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.pools.values()].flatMap((p) => p.idle.splice(0));
    await Promise.all(all.map((s) => s.destroy()));
  }

  private pool(key: string, plan: () => SandboxPlan): Pool {
    let pool = this.pools.get(key);
    if (!pool) {
      pool = { plan: plan(), idle: [], starting: 0, hits: 0, misses: 0 };
      this.pools.set(key, pool);
    }
    return pool;
  }

  private refill(key: string): void {
    const pool = this.pools.get(key);
    if (!pool) return;
    while (!this.closed && pool.idle.length < this.sizeOf(key)) {
      try {
        const s = new Sandbox(this.deps, pool.plan);
        pool.idle.push(s);
        // Drop it from the pool if it dies while idle.
        s.proc.exited.then(
          () => {
            const i = pool.idle.indexOf(s);
            if (i >= 0) (pool.idle.splice(i, 1), void s.destroy());
          },
          () => undefined,
        );
      } catch (e) {
        this.onError(e);
        break;
      }
    }
  }
}
