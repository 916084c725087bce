import { Router } from 'express';
import { z } from 'zod';
import type { RunResultRecord } from '../../topics/types';
import { retryUntilDone } from '../../topics/ground/retry';
import type { Catalog } from './runtime-catalog';
import { publicResult } from './public-result';
import { clientOf } from './client-key';
import { mainFileOf } from '../../runtimes/languages';
import { idempotentRunId } from './idempotency';
import { ApiError } from './errors';
import { checkWebhookTarget } from './webhook-target';
import { fileSchema, runtimeSelector, stageLimitsSchema, describeIssue } from './protocol';
import type { RateLimiter } from './rate-limiter';
import type { RunRouter } from './run-router';
import type { RunService } from './run-service';
import type { GatewaySettings } from './settings';

export const runBody = z
  .object({
    ...runtimeSelector,
    files: z.array(fileSchema).min(1).optional(),
    code: z.string().optional(),
    stdin: z.string().optional(),
    args: z.array(z.string().max(4096)).optional(),
    compilerFlags: z.array(z.string().max(256)).optional(),
    limits: stageLimitsSchema.optional(),
    wait: z.boolean().default(true),
    webhook: z.string().url().regex(/^https?:\/\//, 'must be an http(s) URL').optional(),
  })
  .strict()
  .refine((b) => b.files || b.code !== undefined, { message: 'give either "files" or "code"', path: ['files'] });

/** A webhook's answer that no retry changes: a 4xx other than 429. */
class WebhookRefused extends Error {}

/** POSTs the result to a webhook, retrying with exponential backoff; false once it is refused or out of retries. */
export async function deliverWebhook(url: string, body: unknown, retries: number, baseDelayMs = 250): Promise<boolean> {
  const post = async () => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(5000) });
    if (res.ok) return true;
    if (res.status >= 400 && res.status < 500 && res.status !== 429) throw new WebhookRefused(`The webhook answered ${res.status}.`);
    throw new Error(`The webhook answered ${res.status}.`);
  };
  return retryUntilDone(post, { initialMs: baseDelayMs, maxMs: baseDelayMs * 2 ** retries }, { attempts: retries + 1, retryable: (e) => !(e instanceof WebhookRefused) }).catch(() => false);
}

/** The REST API (docs/openapi.yaml): run synchronously or asynchronously, fetch runs, list runtimes. */
export function restApi(deps: { catalog: Catalog; runs: RunService; router: RunRouter; limiter: RateLimiter; settings: GatewaySettings; liveClasses: () => string[] }) {
  const { catalog, runs, router, limiter, settings } = deps;
  const r = Router();

  r.get('/runtimes', (_req, res) => {
    // current: the version a new session of the language gets (`conveyor runtimes set-current`).
    res.json({ runtimes: catalog.runtimes().map((i) => ({ ...i, current: catalog.currentVersion(i.language) === i.version })), limits: catalog.limits(), hardwareClasses: deps.liveClasses() });
  });

  r.post('/runs', async (req, res) => {
    const client = clientOf(req);
    const parsed = runBody.safeParse(req.body);
    if (!parsed.success) throw new ApiError(400, 'invalid_request', `Invalid run request: ${describeIssue(parsed.error)}.`);
    const b = parsed.data;
    limiter.take(client, 'run', settings.RATE_RUNS_PER_MINUTE / 60, settings.RATE_RUNS_BURST);
    const runtime = catalog.resolve(b.language, b.version, b.dependencySet, b.hardwareClass);
    if (b.webhook) await checkWebhookTarget(b.webhook, settings.WEBHOOK_ALLOW_PRIVATE);
    const files = b.files ?? [{ name: mainFileOf(runtime.language), content: b.code ?? '' }];
    let resolveResult!: (r: RunResultRecord) => void;
    const done = new Promise<RunResultRecord>((resolve) => (resolveResult = resolve));
    const runId = idempotentRunId(req, client, req.body);
    const request = await runs.runFiles(client, runtime, files, { stdin: b.stdin, args: b.args, compilerFlags: b.compilerFlags, limits: b.limits, streamOutput: false, runId }, 'rest', { onResult: resolveResult });
    if (b.webhook) {
      const url = b.webhook;
      void done.then((result) => deliverWebhook(url, publicResult(result), settings.WEBHOOK_RETRIES));
    }
    if (!b.wait) {
      res.status(202).location(`/api/v1/runs/${request.runId}`).json({ runId: request.runId, status: 'queued', href: `/api/v1/runs/${request.runId}` });
      return;
    }
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new ApiError(504, 'run_timeout', `The run did not finish within ${settings.SYNC_RUN_TIMEOUT_MS} ms; fetch it later with GET /api/v1/runs/${request.runId}.`)), settings.SYNC_RUN_TIMEOUT_MS).unref(),
    );
    res.json(publicResult(await Promise.race([done, timeout])));
  });

  r.get('/runs/:id', (req, res) => {
    const result = router.result(req.params.id);
    if (!result) throw new ApiError(404, 'unknown_run', `No finished run ${req.params.id} is known to this gateway (it may still be running).`);
    res.json(publicResult(result));
  });

  return r;
}
