import type { z } from 'zod';
import { scalerWire, type ScalerSource } from '../../analytics/forecast/scaler-source';

/**
 * The scaler's ClickHouse reads through the analytics service, which owns
 * the embedded ClickHouse (analytics/forecast/router.ts serves them). Every
 * call has a deadline; an answer of the wrong shape is an error, not a guess.
 */
export class AnalyticsUnavailable extends Error {
  readonly code = 'analytics_unavailable';
}

export function httpScalerSource(o: { url: string; timeoutMs: number; fetch?: typeof fetch }): ScalerSource {
  const get = o.fetch ?? fetch;
  async function call<S extends z.ZodType>(path: string, schema: S, init?: RequestInit): Promise<z.infer<S>> {
    let res: Response;
    try {
      res = await get(`${o.url}${path}`, { ...init, signal: AbortSignal.timeout(o.timeoutMs) });
    } catch (e) {
      throw new AnalyticsUnavailable(`The analytics service at ${o.url} did not answer ${path.split('?')[0]} within ${o.timeoutMs} ms (${e instanceof Error ? e.message : String(e)}); is it running (npm start) and is ANALYTICS_URL right?`);
    }
    const body: unknown = await res.json().catch(() => null);
    if (!res.ok) throw new AnalyticsUnavailable(`The analytics service answered ${res.status} to ${path.split('?')[0]}: ${JSON.stringify((body as { error?: unknown } | null)?.error ?? body)}`);
    const parsed = schema.safeParse(body);
    if (!parsed.success) throw new AnalyticsUnavailable(`The analytics service's answer to ${path.split('?')[0]} has an unexpected shape: ${parsed.error.issues[0]!.path.join('.')}: ${parsed.error.issues[0]!.message}`);
    return parsed.data;
  }
  return {
    async refresh(q) {
      const out = await call('/api/forecasts/refresh', scalerWire.refreshResponse, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ hardwareClasses: q.hardwareClasses, ...(q.dependencySets?.length ? { dependencySets: q.dependencySets } : {}), nowMinute: q.nowMinute }),
      });
      const bySet = out.sets ? new Map(Object.entries(out.sets).map(([hw, m]) => [hw, new Map(Object.entries(m))])) : undefined;
      return { issuedMinute: out.issuedMinute, byClass: new Map(Object.entries(out.classes)), bySet };
    },
    async usageMinute(q) {
      const out = await call(`/api/forecasts/usage-minute?hardwareClass=${encodeURIComponent(q.hardwareClass)}&minute=${q.minute}`, scalerWire.usageResponse);
      return out.usage ?? undefined;
    },
  };
}
