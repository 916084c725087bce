import type { Kafka } from 'kafkajs';
import { topics } from '../../topics/catalog';
import { followCompacted } from '../../topics/compacted-follower';
import type { Registry } from '../../topics/registry';
import type { Logger } from '../../topics/ground/logger';
import type { RuntimeCurrent } from '../../topics/types';

/**
 * The toolchain version new sessions of each language get, as the compacted
 * runtimes.current topic holds it (`conveyor runtimes set-current` writes it).
 * Every gateway reads the topic whole at start and follows it, so a switch
 * reaches all gateways within a fetch; a language never switched has none and
 * gets the language table's first version (topics/compacted-follower.ts).
 */
export function createCurrentRuntimes(deps: { kafka: Kafka; registry: Registry; gatewayId: string; catchUpMs?: number; logger?: Pick<Logger, 'error'> }) {
  const current = new Map<string, RuntimeCurrent>();
  const follower = followCompacted({
    kafka: deps.kafka, registry: deps.registry, spec: topics.runtimesCurrent, groupPrefix: `conveyor-runtimes-${deps.gatewayId}`, logger: deps.logger,
    onRecord: (r) => void current.set(r.language, r),
  });
  return {
    // Ready when every switch made before this gateway started is known (or after catchUpMs, with what arrived).
    start: () => follower.start({ catchUpMs: deps.catchUpMs ?? 20000 }),
    stop: () => follower.stop(),
    /** The version switched to for a language (its table id), if any. */
    version: (language: string): string | undefined => current.get(language)?.version,
    all: (): RuntimeCurrent[] => [...current.values()],
  };
}
export type CurrentRuntimes = ReturnType<typeof createCurrentRuntimes>;
