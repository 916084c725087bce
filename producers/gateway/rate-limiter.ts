import { ApiError } from './errors';

/**
 * Token buckets per client and per kind of action. A refused action gets a
 * 429 with the seconds until a token is back (Retry-After).
 */
export function createRateLimiter(now: () => number = Date.now) {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(client: string, kind: string, perSecond: number, burst: number, cost = 1): void {
      const key = `${kind}\u0000${client}`;
      const t = now();
      const b = buckets.get(key) ?? { tokens: burst, at: t };
      b.tokens = Math.min(burst, b.tokens + ((t - b.at) / 1000) * perSecond);
      b.at = t;
      if (b.tokens < cost) {
        buckets.set(key, b);
        const wait = Math.max(1, Math.ceil((cost - b.tokens) / perSecond));
        throw new ApiError(429, 'rate_limited', `Too many ${kind} requests; try again in ${wait} s.`, wait);
      }
      b.tokens -= cost;
      buckets.set(key, b);
      if (buckets.size > 100000) buckets.delete(buckets.keys().next().value!);
    },
  };
}
export type RateLimiter = ReturnType<typeof createRateLimiter>;
