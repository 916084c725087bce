import http from 'node:http';
import https from 'node:https';
import type { PublicResult, RunOutcome } from './editor-session';
import { sleep } from '../../topics/ground/retry';

/**
 * Runs through the REST API (POST /api/v1/runs, wait: true) and the Piston
 * API (POST /api/v2/execute): the program travels whole with every run.
 * 429 answers are waited out for their Retry-After seconds and counted.
 *
 * The requests go through Node's own HTTP client on a keep-alive agent (what
 * a Node program calling an API uses, as curl or requests would elsewhere),
 * not the global fetch: undici's fetch (WHATWG Request, Headers and a body
 * stream per call) added ~0.9 ms on the way out and ~0.9 ms on the way back
 * to a Python hello on this machine (docs/decisions/bench-baselines-and-hops.md,
 * Session 14), which the bench would count as the gateway's.
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

export interface HttpAnswer { status: number; retryAfter: string | undefined; text: string }

/** No answer within the deadline (the request is aborted and its socket destroyed). */
export class HttpTimeout extends Error {
  constructor(ms: number) {
    super(`No answer within ${ms} ms.`);
    this.name = 'TimeoutError';
  }
}

/**
 * An idle connection is dropped after 4 s, before the gateway's keep-alive (5 s) closes it: a request sent on a
 * socket the server is closing at that moment fails. Node takes the smaller of this and the server's Keep-Alive hint.
 */
const IDLE_SOCKET_MS = 4000;
const agents = { http: new http.Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS }), https: new https.Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS }) };

/** POSTs a JSON body and reads the whole answer, on a kept-alive connection; rejects with HttpTimeout after timeoutMs. */
export function postJson(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<HttpAnswer> {
  const secure = url.startsWith('https:');
  const signal = AbortSignal.timeout(timeoutMs);
  return new Promise((resolve, reject) => {
    const fail = (err: Error) => reject(signal.aborted ? new HttpTimeout(timeoutMs) : err);
    const req = (secure ? https : http).request(url, {
      method: 'POST', agent: secure ? agents.https : agents.http, signal,
      headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', fail);
      res.on('end', () => {
        const retryAfter = res.headers['retry-after'];
        resolve({ status: res.statusCode ?? 0, retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, text: Buffer.concat(chunks).toString('utf8') });
      });
    });
    req.on('error', fail);
    req.end(body);
  });
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
    let res: HttpAnswer;
    try {
      res = await postJson(url, { 'x-api-key': apiKey }, JSON.stringify(body), opts.resultTimeoutMs);
    } catch (err) {
      const timeout = err instanceof HttpTimeout;
      return { status: timeout ? 'client_timeout' : 'disconnected', latencyMs: performance.now() - t0, acceptMs: 0, sentAtMs, receivedAtMs: Date.now(), message: (err as Error).message };
    }
    const { text } = res;
    const latencyMs = performance.now() - t0;
    const ok = res.status >= 200 && res.status < 300;
    if (res.status === 429 && attempt < (opts.maxRetries ?? 30) && !opts.stopped?.()) {
      const s = Number(res.retryAfter ?? 1) || 1;
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
    if (!ok) {
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
