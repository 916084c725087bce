import type { Request } from 'express';

/** Who a request or connection counts as for rate limits: its API key, else its address. */
export function clientKey(apiKey: string | undefined, address: string | undefined): string {
  return apiKey ? `key:${apiKey.slice(0, 64)}` : `ip:${address ?? 'unknown'}`;
}

export const clientOf = (req: Request): string => clientKey(req.header('x-api-key'), req.ip);
