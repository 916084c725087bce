import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { CONSUMER_FETCH_LIMITS, topics } from '../../topics/catalog';
import { decodeValue } from '../../topics/codec';
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
  const consumer = deps.kafka.consumer({ ...CONSUMER_FETCH_LIMITS, groupId: `conveyor-pools-${deps.executorId}-${randomUUID().slice(0, 8)}`, maxWaitTimeInMs: 500, sessionTimeout: 10000, heartbeatInterval: 1000 });
  let applied: { decidedAtMs: number; sizes: Record<string, number> } | null = null;
  const timer = deps.report ? setInterval(() => deps.report!(deps.engine.stats().pools), deps.reportMs ?? 2000) : undefined;
  timer?.unref();
  return {
    async start() {
      await consumer.connect();
      await consumer.subscribe({ topic: topics.pools.name, fromBeginning: true });
      // Always read from the start: nothing to commit, so the group leaves no offsets behind when the executor goes.
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ message }) => {
          if (!message.value) return;
          const d = await decodeValue(deps.registry, message.value, topics.pools);
          if (!d.ok) return void deps.logger.warn({ offset: message.offset, err: d.reason }, 'pool sizes record skipped');
          const r = d.value;
          // One partition, in the order written: the last record of this class holds.
          if (r.hardwareClass !== deps.hardwareClass) return;
          const sizes = Object.fromEntries(r.sizes.map((x) => [x.dependencySet, x.size]));
          const out = deps.engine.setPoolSizes(sizes);
          applied = { decidedAtMs: r.decidedAtMs, sizes };
          deps.logger.info({ applied: out.applied, ignored: out.ignored, decidedAtMs: r.decidedAtMs }, 'warm-pool sizes applied');
          deps.report?.(deps.engine.stats().pools);
        },
      });
    },
    /** The sizes applied last (null until a record for this class came). */
    applied: () => applied,
    async stop() {
      if (timer) clearInterval(timer);
      await consumer.disconnect().catch(() => {});
    },
  };
}
