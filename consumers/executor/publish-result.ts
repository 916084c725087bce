import type { RunResultRecord } from '../../topics/types';
import { retryUntilDone } from '../../topics/ground/retry';
import { fitResult, unpublishableResult } from './results';
import type { Logger } from '../../topics/ground/logger';

export interface PublishDeps {
  send(r: RunResultRecord): Promise<void>;
  maxRecordBytes: number;
  stopping(): boolean;
  logger: Pick<Logger, 'warn' | 'error'>;
}

const ATTEMPTS = 5;

/**
 * Publishes a run's result so that its client is always answered: the record
 * is bounded to fit the results topic; if it still cannot be published (a
 * permanent refusal, or failures after a few attempts) a small internal_error
 * result says why, retried until it is published or the executor stops (then
 * the request stays uncommitted and its next owner answers it).
 * Returns what was published.
 */
export async function publishResult(result: RunResultRecord, deps: PublishDeps): Promise<RunResultRecord> {
  const fitted = fitResult(result, deps.maxRecordBytes);
  let attempts = 0;
  try {
    await retryUntilDone(() => deps.send(fitted), { initialMs: 50, maxMs: 1000 }, {
      retryable: (err) => (err as { code?: string }).code !== 'record_too_large' && ++attempts < ATTEMPTS && !deps.stopping(),
    });
    return fitted;
  } catch (err) {
    const why = (err as Error).message;
    deps.logger.error({ runId: result.runId, err: why }, 'result could not be published; answering with internal_error');
    const fallback = unpublishableResult(fitted, why);
    const abort = new AbortController();
    const watch = setInterval(() => deps.stopping() && abort.abort(), 200);
    try {
      await retryUntilDone(() => deps.send(fallback), { initialMs: 100, maxMs: 5000 }, {
        signal: abort.signal,
        onRetry: (e, attempt) => attempt % 10 === 1 && deps.logger.warn({ runId: result.runId, err: e.message }, 'internal_error result not published yet; retrying'),
      });
    } finally {
      clearInterval(watch);
    }
    return fallback;
  }
}
