import { analyticsSettings } from '../../analytics/config';
import { connectionSettings } from '../../topics/ground/connections';
import { createKafka } from '../../topics/kafka';
import { groupLag, type TopicLag } from './lag';
import { SINK_GROUP, sinkTopics, type SinkStatus } from './sink';

export type SinkStatusReport =
  | ({ service: 'up' } & SinkStatus)
  | { service: 'down'; groupId: string; lag: TopicLag[]; totalLag: number | null; error: string | null };

/**
 * The sink's state for `conveyor status`: asks the analytics service, and when
 * it does not answer, reads the consumer group's lag from the broker directly.
 */
export async function sinkStatus(opts: { serviceUrl?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<SinkStatusReport> {
  const env = opts.env ?? process.env;
  const cfg = analyticsSettings(env);
  const url = opts.serviceUrl ?? `http://${cfg.host}:${cfg.port}`;
  try {
    const res = await fetch(`${url}/api/stats/lag`, { signal: AbortSignal.timeout(opts.timeoutMs ?? 1500) });
    if (res.ok) {
      const body = (await res.json()) as SinkStatus | { state: 'not_running' };
      if (body.state !== 'not_running') return { service: 'up', ...(body as SinkStatus) };
    }
  } catch {
    // Not running: fall back to the broker.
  }
  const admin = createKafka(connectionSettings(env).brokers, 'conveyor-status').admin();
  try {
    await admin.connect();
    const lag = await groupLag(admin, SINK_GROUP, sinkTopics(), false);
    return { service: 'down', groupId: SINK_GROUP, lag, totalLag: lag.reduce((a, l) => a + l.lag, 0), error: null };
  } catch (err) {
    return { service: 'down', groupId: SINK_GROUP, lag: [], totalLag: null, error: (err as Error).message };
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** One line for `conveyor status`. */
export function formatSinkStatus(s: SinkStatusReport): string {
  if (s.service === 'down') {
    return s.totalLag === null
      ? `sink      down     lag unknown (${s.error ?? 'broker unreachable'})`
      : `sink      down     lag ${s.totalLag} records (analytics service not running)`;
  }
  const ch = s.clickhouse.up ? 'clickhouse ok' : `clickhouse DOWN since ${new Date(s.clickhouse.since).toISOString()}: ${s.clickhouse.lastError}`;
  const inserted = Object.values(s.insertedRows).reduce((a, b) => a + b, 0);
  return `sink      ${s.state.padEnd(8)} lag ${s.totalLag} records  ${ch}  inserted ${inserted}  buffered ${s.bufferedRows}  dlq ${s.deadLetters}`;
}
