import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { CONSUMER_FETCH_LIMITS, LIVE_FETCH_WAIT_MS, topics } from '../../topics/catalog';
import { decodeValue } from '../../topics/codec';
import type { Registry } from '../../topics/registry';
import { sleep } from '../../topics/ground/retry';
import type { RuntimeCurrent } from '../../topics/types';

/**
 * The toolchain version new sessions of each language get, as the compacted
 * runtimes.current topic holds it (`conveyor runtimes set-current` writes it).
 * Every gateway reads the topic whole at start and follows it, so a switch
 * reaches all gateways within a fetch; a language never switched has none and
 * gets the language table's first version.
 */
export function createCurrentRuntimes(deps: { kafka: Kafka; registry: Registry; gatewayId: string; catchUpMs?: number }) {
  const current = new Map<string, RuntimeCurrent>();
  const consumer = deps.kafka.consumer({ ...CONSUMER_FETCH_LIMITS, groupId: `conveyor-runtimes-${deps.gatewayId}-${randomUUID().slice(0, 8)}`, maxWaitTimeInMs: LIVE_FETCH_WAIT_MS, sessionTimeout: 10000, heartbeatInterval: 1000 });
  let seen = -1;
  return {
    async start() {
      const admin = deps.kafka.admin();
      await admin.connect();
      const ends = await admin.fetchTopicOffsets(topics.runtimesCurrent.name).finally(() => admin.disconnect());
      const last = Math.max(-1, ...ends.filter((e) => Number(e.high) > Number(e.low)).map((e) => Number(e.high) - 1));
      await consumer.connect();
      await consumer.subscribe({ topic: topics.runtimesCurrent.name, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          if (message.value) {
            const d = await decodeValue(deps.registry, message.value, topics.runtimesCurrent);
            if (d.ok) current.set(d.value.language, d.value);
          }
          seen = Number(message.offset);
        },
      });
      // Ready when every switch made before this gateway started is known (or after catchUpMs, with what arrived).
      const deadline = Date.now() + (deps.catchUpMs ?? 20000);
      while (seen < last && Date.now() < deadline) await sleep(50);
    },
    async stop() {
      await consumer.disconnect().catch(() => {});
    },
    /** The version switched to for a language (its table id), if any. */
    version: (language: string): string | undefined => current.get(language)?.version,
    all: (): RuntimeCurrent[] => [...current.values()],
  };
}
export type CurrentRuntimes = ReturnType<typeof createCurrentRuntimes>;
