/**
 * The one retry and the one sleep every floor uses. retryUntilDone retries an
 * operation with exponential backoff and jitter until it succeeds, the error
 * is not retryable, or the signal aborts. Used where giving up would lose data
 * (ClickHouse inserts, dead-letter produces): the sink waits instead, and its
 * lag shows it. With `attempts` it gives up after that many tries and throws
 * the last error (a webhook delivery: the result stays readable anyway).
 */
export interface Backoff { initialMs: number; maxMs: number }

export class AbortedError extends Error {
  readonly code = 'aborted';
}

export async function retryUntilDone<T>(
  op: () => Promise<T>,
  { initialMs, maxMs }: Backoff,
  hooks: { signal?: AbortSignal; onRetry?: (err: Error, attempt: number, delayMs: number) => void; retryable?: (err: unknown) => boolean; attempts?: number } = {},
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    if (hooks.signal?.aborted) throw new AbortedError('Stopped while retrying');
    try {
      return await op();
    } catch (err) {
      if (hooks.signal?.aborted) throw new AbortedError(`Stopped while retrying: ${(err as Error).message}`);
      if (hooks.retryable && !hooks.retryable(err)) throw err;
      if (hooks.attempts !== undefined && attempt >= hooks.attempts) throw err;
      const delay = Math.min(maxMs, initialMs * 2 ** Math.min(attempt - 1, 20)) * (0.75 + Math.random() * 0.5);
      hooks.onRetry?.(err as Error, attempt, delay);
      await sleep(delay, hooks.signal);
    }
  }
}

/** Resolves after `ms`, or as soon as `signal` aborts (never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
