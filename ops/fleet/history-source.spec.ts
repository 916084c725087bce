import type { FleetEvent } from '../../topics/types';
import { readFleetHistory } from './history-source';

const ev = (id: string): FleetEvent => ({
  eventId: id, timestampMs: 1, kind: 'desired_changed', hardwareClass: 'x86_64', memberId: null, state: null, previousState: null,
  desired: 2, actual: null, min: null, max: null, applied: true, reason: 'test', actor: 'operator', inputsJson: null, managerId: 'fm',
});
const json = (status: number, body: unknown) => (async () => new Response(JSON.stringify(body), { status })) as unknown as typeof fetch;
const base = { query: { hardwareClass: 'x86_64', limit: 5 }, analyticsUrl: 'http://analytics.test', timeoutMs: 1000, manager: async () => [ev('from-manager')] };

describe('fleet history source', () => {
  it('reads ClickHouse through the analytics service, with the class and limit asked for', async () => {
    const urls: string[] = [];
    const fetch = (async (url: string) => (urls.push(url), new Response(JSON.stringify({ events: [ev('from-clickhouse')] })))) as unknown as typeof globalThis.fetch;
    const r = await readFleetHistory({ ...base, source: 'auto', fetch });
    expect(r.events.map((e) => e.eventId)).toEqual(['from-clickhouse']);
    expect(r.from).toMatch(/ClickHouse/);
    expect(urls).toEqual(['http://analytics.test/api/stats/fleet/events?limit=5&class=x86_64']);
  });

  it('falls back to the manager and says why when ClickHouse cannot answer, unless ClickHouse was asked for', async () => {
    const r = await readFleetHistory({ ...base, source: 'auto', fetch: json(503, { error: { code: 'warehouse_unavailable', message: 'down' } }) });
    expect(r.events.map((e) => e.eventId)).toEqual(['from-manager']);
    expect(r.note).toBe('ClickHouse not read: the analytics service answered 503 warehouse_unavailable: down');
    await expect(readFleetHistory({ ...base, source: 'clickhouse', fetch: json(503, {}) })).rejects.toMatchObject({ code: 'analytics_unavailable' });
  });

  it('asks only the manager when told to', async () => {
    const fetch = (async () => { throw new Error('must not be called'); }) as unknown as typeof globalThis.fetch;
    expect((await readFleetHistory({ ...base, source: 'manager', fetch })).events.map((e) => e.eventId)).toEqual(['from-manager']);
  });
});
