import type { Consumer, ConsumerRunConfig } from 'kafkajs';
import type { Logger } from './ground/logger';

/** How long a consumer that crashed for good waits before it is run again. */
export const RUN_AGAIN_MS = 2000;

/**
 * Runs a long-lived consumer and keeps it running. kafkajs restarts a crashed
 * consumer only when the crash's cause is retriable (then CONSUMER_RETRY's
 * restartOnFailure agrees); a broker restart also crashes consumers with
 * non-retriable causes ("Failed to find group coordinator",
 * KafkaJSGroupCoordinatorNotFound), and such a consumer stayed stopped for
 * good while its process lived on: a gateway's runtimes.current follower
 * missed every later switch. Such a crash runs the consumer again, with the
 * same config, after `againMs`, until `stopped()` (its owner's stop) says no
 * more. Subscriptions and event listeners outlive a crash in kafkajs, so the
 * run resumes from the committed offsets like kafkajs's own restart.
 */
export async function runKeptAlive(
  consumer: Pick<Consumer, 'run' | 'on' | 'events'>,
  config: ConsumerRunConfig,
  o: { name: string; logger: Pick<Logger, 'error'>; stopped: () => boolean; againMs?: number },
): Promise<void> {
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (payload.restart || o.stopped()) return;
    o.logger.error({ consumer: o.name, groupId: payload.groupId, err: payload.error?.message }, 'consumer crashed and kafkajs will not restart it; running it again');
    const timer = setTimeout(() => {
      if (o.stopped()) return;
      // A failing start crashes it again (kafkajs's runner), which lands here once more.
      consumer.run(config).catch((err: Error) => o.logger.error({ consumer: o.name, err: err.message }, 'consumer could not be run again'));
    }, o.againMs ?? RUN_AGAIN_MS);
    timer.unref();
  });
  await consumer.run(config);
}
