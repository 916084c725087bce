import { operatorHeaders, type OperatorToken } from '../../topics/ground/operator-token';
import { FleetError, type FleetClassView, type FleetControl, type FleetMemberView, type FleetView } from './control';
import type { FleetEvent } from '../../topics/types';

/**
 * FleetControl over the fleet service's operator API: what the CLI uses, and
 * what a scaler running in another process can use. Every call has a deadline.
 */
export function fleetClient(url: string, token: Pick<OperatorToken, 'reveal'>, timeoutMs = 15000) {
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${url}/api/ops/fleet${path}`, {
        method,
        headers: { ...operatorHeaders(token), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new FleetError(503, 'fleet_unavailable', `The fleet service at ${url} did not answer (${(err as Error).message}); is \`npm start\` running?`);
    }
    const json = (await res.json().catch(() => null)) as { error?: { code: string; message: string } } | null;
    if (!res.ok) throw new FleetError(res.status, json?.error?.code ?? 'fleet_error', json?.error?.message ?? `HTTP ${res.status}`);
    return json as T;
  }
  let last: FleetView | undefined;
  return {
    fetchList: async () => (last = await call<FleetView>('GET', '/')),
    setDesired: (hw: string, n: number, reason: string) => call<FleetClassView>('POST', `/classes/${encodeURIComponent(hw)}/scale`, { desired: n, reason }),
    decide: (hw: string, d: { desired: number; reason: string; inputs: Record<string, unknown>; apply: boolean; actor?: string }) => call<FleetClassView>('POST', `/classes/${encodeURIComponent(hw)}/decisions`, d),
    drain: (id: string, reason: string) => call<FleetMemberView>('POST', `/members/${encodeURIComponent(id)}/drain`, { reason }),
    fetchHistory: async (o: { hardwareClass?: string; limit?: number } = {}) =>
      (await call<{ events: FleetEvent[] }>('GET', `/history?limit=${o.limit ?? 100}${o.hardwareClass ? `&class=${encodeURIComponent(o.hardwareClass)}` : ''}`)).events,
    /** The list as of the last fetchList (FleetControl's list is synchronous). */
    list: () => last ?? { actuator: 'unknown', managerId: '', classes: [] },
  } satisfies Partial<FleetControl> & Record<string, unknown>;
}
export type FleetClient = ReturnType<typeof fleetClient>;
