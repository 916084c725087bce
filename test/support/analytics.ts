import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { startAnalyticsService, type AnalyticsService } from '../../consumers/sink/main';
import { commitGroupOffsets, endOffsets } from '../../consumers/sink/offsets';
import { sinkTopics } from '../../consumers/sink/sink';

/**
 * A real analytics service (sink + stats) on its own ClickHouse directory whose
 * sink group starts at the topics' current end, so a test's warehouse holds
 * only what the test makes happen from now on.
 */
export async function startAnalyticsFromNow(kafka: Kafka, o: { port: number; clickhouseDataDir: string; groupPrefix: string; env?: NodeJS.ProcessEnv }): Promise<AnalyticsService> {
  const group = `${o.groupPrefix}-${randomUUID()}`;
  await commitGroupOffsets(kafka, group, await endOffsets(kafka, sinkTopics()));
  return startAnalyticsService({
    port: o.port, host: '127.0.0.1', clickhouseDataDir: o.clickhouseDataDir, sink: { groupId: group, flushMs: 200 }, exportEnabled: false,
    env: { ...process.env, LOG_LEVEL: 'warn', ...o.env },
  });
}
