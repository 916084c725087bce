import type { Kafka } from 'kafkajs';
import { topics } from '../../topics/catalog';
import { followCompacted } from '../../topics/compacted-follower';
import type { Logger } from '../../topics/ground/logger';
import type { Registry } from '../../topics/registry';
import type { EngineStats, RuntimeEngine } from '../../runtimes/types';

/**
 * The warm-pool sizes the fleet manager decided for this executor's class
 * (runtimes.pools, compacted, keyed by class; ops/fleet/warm-pools.ts sizes
 * them from the forecast per dependency set), applied to the runtimes
 * engine as they arrive. Read from the topic's start, so a new executor
 * takes the latest sizes at once; until a record comes the engine keeps its
 * CONVEYOR_RUNTIMES_POOL_SIZE. After each change, and every `reportMs`, the
 * pools' state goes to `report` (the fleet manager's member view).
 */
export function followPoolSizes(deps: {
  kafka: Kafka;
  registry: Registry;
  hardwareClass: string;
  executorId: string;
  engine: Pick<RuntimeEngine, 'setPoolSizes' | 'stats'>;
  logger: Logger;
  report?: (pools: EngineStats['pools']) => void;
  reportMs?: number;
}) {
  let applied: { decidedAtMs: number; sizes: Record<string, number> } | null = null;
  const timer = deps.report ? setInterval(() => deps.report!(deps.engine.stats().pools), deps.reportMs ?? 2000) : undefined;
  timer?.unref();
  const follower = followCompacted({
    kafka: deps.kafka, registry: deps.registry, spec: topics.pools, groupPrefix: `conveyor-pools-${deps.executorId}`, logger: deps.logger,
    onUndecodable: (m, reason) => deps.logger.warn({ offset: m.offset, err: reason }, 'pool sizes record skipped'),
    onRecord: (r) => {
      // One partition, in the order written: the last record of this class holds.
      if (r.hardwareClass !== deps.hardwareClass) return;
      const sizes = Object.fromEntries(r.sizes.map((x) => [x.dependencySet, x.size]));
      const out = deps.engine.setPoolSizes(sizes);
      applied = { decidedAtMs: r.decidedAtMs, sizes };
      deps.logger.info({ applied: out.applied, ignored: out.ignored, decidedAtMs: r.decidedAtMs }, 'warm-pool sizes applied');
      deps.report?.(deps.engine.stats().pools);
    },
  });
  return {
    start: () => follower.start(),
    /** The sizes applied last (null until a record for this class came). */
    applied: () => applied,
    async stop() {
      if (timer) clearInterval(timer);
      await follower.stop();
    },
  };
}
