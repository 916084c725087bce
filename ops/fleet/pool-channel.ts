import { topics } from '../../topics/catalog';
import type { TypedProducer } from '../../topics/codec';
import type { PoolSizes } from '../../topics/types';
import type { FleetEvents } from './events';
import type { PoolSizeDecision } from './warm-pools';

/**
 * Where the scaler's warm-pool sizes go: every decision is a `pool_decision`
 * event on ops.fleet (and a ClickHouse row) with its reasons, like the
 * scaler's executor decisions; applied ones (SCALER_MODE act) are written to
 * the compacted runtimes.pools, keyed by class, which every executor of the
 * class follows (consumers/executor/pool-sizes.ts). A record is written when
 * the sizes change, and again every `republishMinutes` so a compaction that
 * lost nothing still shows a recent decision.
 */
export interface PoolChannel {
  decide(hardwareClass: string, d: { minute: number; executors: number; decisions: PoolSizeDecision[]; apply: boolean; inputs?: Record<string, unknown> }): Promise<{ published: boolean; sizes: Record<string, number> }>;
  /** The sizes last decided per class (applied or not), for the next decision's `previous`. */
  last(hardwareClass: string): Record<string, number> | undefined;
}

export function createPoolChannel(o: { events: FleetEvents; producer: Pick<TypedProducer, 'send'>; managerId: string; now?: () => number; republishMinutes?: number }): PoolChannel {
  const now = o.now ?? Date.now;
  const decided = new Map<string, Record<string, number>>();
  const published = new Map<string, { key: string; minute: number }>();
  return {
    last: (hw) => decided.get(hw),
    async decide(hw, d) {
      const sizes = Object.fromEntries(d.decisions.map((x) => [x.dependencySet, x.size]));
      decided.set(hw, sizes);
      const changed = d.decisions.filter((x) => x.previous !== x.size);
      const reason = `${changed.length ? `${changed.length} pool size${changed.length > 1 ? 's' : ''} changed` : 'pool sizes unchanged'}: ${d.decisions.map((x) => x.explanation).join('; ')}`;
      o.events.record({
        kind: 'pool_decision', hardwareClass: hw, applied: d.apply, actor: 'scaler', reason: d.apply ? reason : `observe only: ${reason}`,
        inputsJson: JSON.stringify({ minute: d.minute, executors: d.executors, sizes, decisions: d.decisions, ...d.inputs }),
      });
      if (!d.apply) return { published: false, sizes };
      const key = JSON.stringify(sizes);
      const last = published.get(hw);
      if (last && last.key === key && d.minute - last.minute < (o.republishMinutes ?? 60) && d.minute >= last.minute) return { published: false, sizes };
      const record: PoolSizes = { hardwareClass: hw, sizes: d.decisions.map((x) => ({ dependencySet: x.dependencySet, size: x.size })), decidedAtMs: now(), reason, managerId: o.managerId };
      await o.producer.send(topics.pools, [{ key: hw, value: record }]);
      published.set(hw, { key, minute: d.minute });
      return { published: true, sizes };
    },
  };
}
