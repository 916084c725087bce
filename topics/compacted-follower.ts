import { randomUUID } from 'node:crypto';
import type { Kafka, KafkaMessage } from 'kafkajs';
import type { TopicSpec } from './catalog';
import { liveConsumerConfig } from './consumer-retry';
import { decodeConsumed } from './decode-consumed';
import { runKeptAlive } from './keep-running';
import { silentLogger, type Logger } from './ground/logger';
import type { Registry } from './registry';
import { sleep } from './ground/retry';

/**
 * Follows a small compacted topic whole (runtimes.current, runtimes.pools):
 * each process reads it from the start in a throwaway group of its own and
 * keeps following it, handing every decoded record to `onRecord` in order.
 * It commits nothing (the next start reads from the start anyway), so the
 * groups leave no offsets behind. With `catchUpMs`, `start` resolves once
 * every record written before it began has been handed on (or after that
 * long, with what arrived). A record the schema registry cannot decode for
 * now is read again (decodeConsumed), so a follower never misses a state;
 * only one that can never be decoded goes to `onUndecodable`.
 */
export function followCompacted<T>(deps: {
  kafka: Kafka;
  registry: Registry;
  spec: TopicSpec<T>;
  groupPrefix: string;
  onRecord: (value: T, message: KafkaMessage) => void | Promise<void>;
  onUndecodable?: (message: KafkaMessage, reason: string) => void;
  /** How long one decode waits for a registry that cannot be reached before the record is read again (15 s unless given). */
  decodeDeadlineMs?: number;
  logger?: Pick<Logger, 'error'>;
}) {
  const consumer = deps.kafka.consumer(liveConsumerConfig(`${deps.groupPrefix}-${randomUUID().slice(0, 8)}`));
  const seen = new Map<number, number>();
  let stopping = false;
  return {
    async start(o: { catchUpMs?: number } = {}) {
      let ends: { partition: number; high: number }[] = [];
      if (o.catchUpMs !== undefined) {
        const admin = deps.kafka.admin();
        await admin.connect();
        ends = (await admin.fetchTopicOffsets(deps.spec.name).finally(() => admin.disconnect()))
          .filter((e) => Number(e.high) > Number(e.low))
          .map((e) => ({ partition: e.partition, high: Number(e.high) }));
      }
      await consumer.connect();
      await consumer.subscribe({ topic: deps.spec.name, fromBeginning: true });
      await runKeptAlive(consumer, {
        autoCommit: false,
        eachMessage: async ({ partition, message, heartbeat }) => {
          if (message.value) {
            const d = await decodeConsumed(deps.registry, deps.spec, message, { deadlineMs: deps.decodeDeadlineMs ?? 15000, stopped: () => stopping, heartbeat });
            if (d.ok) await deps.onRecord(d.value, message);
            else deps.onUndecodable?.(message, d.reason);
          }
          seen.set(partition, Number(message.offset));
        },
      }, { name: `follower of ${deps.spec.name}`, logger: deps.logger ?? silentLogger, stopped: () => stopping });
      if (o.catchUpMs === undefined) return;
      const deadline = Date.now() + o.catchUpMs;
      while (ends.some((e) => (seen.get(e.partition) ?? -1) < e.high - 1) && Date.now() < deadline) await sleep(50);
    },
    async stop() {
      stopping = true;
      await consumer.disconnect().catch(() => {});
    },
  };
}
