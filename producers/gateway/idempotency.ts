import { createHash } from 'node:crypto';
import type { Request } from 'express';
import { ApiError } from './errors';

/**
 * `Idempotency-Key` on `POST /api/v1/runs` and Piston's `POST /api/v2/execute`:
 * the run id is derived from the client, the key and the request body, so a
 * client whose connection broke (its gateway died, a proxy timed out) sends the
 * same request again, to any gateway, and gets the same run's one result: an
 * executor that already answered it publishes that result again instead of
 * running it twice, one that is running it answers when it finishes. The body
 * is part of the id, so a key reused for another program is another run (not,
 * as a bare key would make it, the first program's answer).
 */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,128}$/;

export function idempotentRunId(req: Request, client: string, body: unknown): string | undefined {
  const key = req.header('idempotency-key');
  if (key === undefined) return undefined;
  if (!IDEMPOTENCY_KEY_PATTERN.test(key)) throw new ApiError(400, 'invalid_idempotency_key', 'Idempotency-Key must be 1 to 128 visible ASCII characters (no spaces).');
  const digest = createHash('sha256').update(client).update('\0').update(key).update('\0').update(JSON.stringify(body ?? null)).digest('hex');
  return `r-k${digest.slice(0, 32)}`;
}
