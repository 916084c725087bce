import type { FleetEvent } from '../../topics/types';

export type HistorySource = 'auto' | 'clickhouse' | 'manager';
export const HISTORY_SOURCES: HistorySource[] = ['auto', 'clickhouse', 'manager'];

/**
 * Where `fleet history` reads: ClickHouse's fleet_events through the analytics
 * service (every manager's events, kept 400 days), or the running manager's
 * memory (its own events since it started). `auto` asks ClickHouse first and
 * falls back to the manager, saying why.
 */
export async function readFleetHistory(o: {
  source: HistorySource;
  query: { hardwareClass?: string; limit: number };
  analyticsUrl: string;
  timeoutMs: number;
  manager: (q: { hardwareClass?: string; limit: number }) => Promise<FleetEvent[]>;
  fetch?: typeof fetch;
}): Promise<{ events: FleetEvent[]; from: string; note?: string }> {
  const get = o.fetch ?? fetch;
  const fromManager = async (note?: string) => ({ events: await o.manager(o.query), from: 'the fleet manager (its events since it started)', note });
  if (o.source === 'manager') return fromManager();
  const q = new URLSearchParams({ limit: String(o.query.limit), ...(o.query.hardwareClass ? { class: o.query.hardwareClass } : {}) });
  let why: string;
  try {
    const res = await get(`${o.analyticsUrl}/api/stats/fleet/events?${q}`, { signal: AbortSignal.timeout(o.timeoutMs) });
    const body = (await res.json().catch(() => null)) as { events?: FleetEvent[]; error?: { code: string; message: string } } | null;
    if (res.ok && Array.isArray(body?.events)) return { events: body.events, from: `ClickHouse fleet_events (${o.analyticsUrl})` };
    why = `the analytics service answered ${res.status}${body?.error ? ` ${body.error.code}: ${body.error.message}` : ''}`;
  } catch (err) {
    why = `the analytics service at ${o.analyticsUrl} did not answer (${(err as Error).message})`;
  }
  if (o.source === 'clickhouse') throw Object.assign(new Error(`Fleet history not read from ClickHouse: ${why}.`), { code: 'analytics_unavailable' });
  return fromManager(`ClickHouse not read: ${why}`);
}
