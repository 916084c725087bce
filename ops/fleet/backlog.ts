import type { Admin, Kafka } from 'kafkajs';
import { executorGroupId, requestsTopic } from '../../topics/catalog';
import { groupLag } from '../../consumers/sink/lag';

/**
 * Runs waiting for a hardware class: the lag of its executor group on its
 * requests topic (the reactive floor's backlog, as KEDA's Kafka scaler reads it).
 * Partitions the group never committed count as caught up.
 */
export function kafkaBacklog(kafka: Kafka): { backlog(hardwareClass: string): Promise<number>; stop(): Promise<void> } {
  let admin: Admin | undefined;
  let connected: Promise<void> | undefined;
  return {
    async backlog(hw) {
      admin ??= kafka.admin();
      connected ??= admin.connect().catch((e: unknown) => {
        connected = undefined;
        throw e;
      });
      await connected;
      const [lag] = await groupLag(admin, executorGroupId(hw), [requestsTopic(hw).name], false);
      return lag?.lag ?? 0;
    },
    async stop() {
      if (connected) await connected.then(() => admin!.disconnect(), () => {});
    },
  };
}
