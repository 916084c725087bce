import type { PublicResult, RunOutcome } from './editor-session';
import { sleep } from '../../topics/ground/retry';

/**
 * Runs through the REST API (POST /api/v1/runs, wait: true) and the Piston
 * API (POST /api/v2/execute): the program travels whole with every run.
 * 429 answers are waited out for their Retry-After seconds and counted.
 */
export interface HttpRun { language: string; dependencySet?: string; text: string; stdin?: string }

interface PistonStage { code: number | null; status: string | null; stderr: string }

/** Piston's per-stage answer in Conveyor's status words. */
export function pistonStatus(body: { compile?: PistonStage; run?: PistonStage }): string {
  if (body.compile && body.compile.code !== 0 && body.compile.code !== null) return 'compile_error';
  const s = body.run?.status ?? body.compile?.status ?? null;
  if (s === null) return body.run ? 'ok' : 'internal_error';
  return ({ RE: 'runtime_error', SG: 'runtime_error', TO: 'time_limit', OL: 'output_limit', EL: 'output_limit', XX: 'internal_error' } as Record<string, string>)[s] ?? s;
}

export async function httpRun(
  base: string,
  api: 'rest' | 'piston',
  apiKey: string,
  run: HttpRun,
  opts: { resultTimeoutMs: number; stopped?: () => boolean; rateLimited(s: number): void; maxRetries?: number },
): Promise<RunOutcome> {
  const url = api === 'rest' ? `${base}/api/v1/runs` : `${base}/api/v2/execute`;
  const body =
    api === 'rest'
      ? { language: run.language, ...(run.dependencySet ? { dependencySet: run.dependencySet } : {}), code: run.text, stdin: run.stdin, wait: true }
      : { language: run.language, version: '*', files: [{ content: run.text }], stdin: run.stdin };
  for (let attempt = 0; ; attempt++) {
    const sentAtMs = Date.now();
    const t0 = performance.now();
    let res: Response;
    try {
      res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': apiKey }, body: JSON.stringify(body), signal: AbortSignal.timeout(opts.resultTimeoutMs) });
    } catch (err) {
      const timeout = (err as Error).name === 'TimeoutError';
      return { status: timeout ? 'client_timeout' : 'disconnected', latencyMs: performance.now() - t0, acceptMs: 0, sentAtMs, receivedAtMs: Date.now(), message: (err as Error).message };
    }
    const text = await res.text();
    const latencyMs = performance.now() - t0;
    if (res.status === 429 && attempt < (opts.maxRetries ?? 30) && !opts.stopped?.()) {
      const s = Number(res.headers.get('retry-after') ?? 1) || 1;
      opts.rateLimited(s);
      await sleep(s * 1000);
      continue;
    }
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      /* not JSON: reported below */
    }
    if (!res.ok) {
      const code = (json.error as { code?: string } | undefined)?.code ?? (json.code as string | undefined) ?? `http_${res.status}`;
      return { status: `rejected:${code}`, latencyMs, acceptMs: latencyMs, sentAtMs, receivedAtMs: Date.now(), message: text.slice(0, 300) };
    }
    if (api === 'rest') {
      const r = json as unknown as PublicResult;
      return { status: r.status, latencyMs, acceptMs: latencyMs, sentAtMs, receivedAtMs: Date.now(), result: r };
    }
    return { status: pistonStatus(json as { compile?: PistonStage; run?: PistonStage }), latencyMs, acceptMs: latencyMs, sentAtMs, receivedAtMs: Date.now() };
  }
}
