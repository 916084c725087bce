import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { applyOp, type EditOp } from './edit-stream';
import { sleep } from '../../topics/ground/retry';

/**
 * One simulated editor tab over the real WebSocket protocol, behaving like a
 * browser editor: it applies edits locally at once, keeps at most one edit
 * message in flight and batches what is typed meanwhile into the next one
 * (so a slow gateway sees fewer, larger edits, not a backlog), waits out 429s
 * for the seconds the gateway names, and restores its own text with `set`
 * when the server asks it to resynchronise.
 */
export interface PublicResult {
  runId: string;
  status: string;
  message: string | null;
  compile: { status: string; wallMs: number; cpuMs: number } | null;
  run: { status: string; wallMs: number; cpuMs: number; stdout: string; stderr: string } | null;
  cacheHit: boolean;
  pooled: boolean;
  requestedAtMs: number;
  startedAtMs: number;
  finishedAtMs: number;
  queueWaitMs: number;
  totalMs: number;
}

export interface RunOutcome {
  /** The run's status, or how the client saw it fail: rejected:<code>, client_timeout, disconnected. */
  status: string;
  /** From sending the accepted run message to receiving its result, ms. */
  latencyMs: number;
  acceptMs: number;
  firstOutputMs?: number;
  sentAtMs: number;
  receivedAtMs: number;
  result?: PublicResult;
  message?: string;
}

export interface SessionHooks {
  editAcked(ms: number, ops: number): void;
  rateLimited(kind: 'edit' | 'run', retryAfterS: number): void;
  protocolError(code: string, message: string): void;
}

type Reply = { type: string; [k: string]: unknown };
const REPLY_TYPES = new Set(['opened', 'ack', 'resync', 'run_accepted', 'error']);

export const retryAfterSeconds = (message: string) => Number(/try again in (\d+) s/.exec(message)?.[1] ?? 1);
export class EditorSession {
  text = '';
  version = 0;
  sessionId = '';
  fileName = '';
  closed = false;
  /** Replies come in the order requests were sent: one resolver per request. */
  private replies: ((m: Reply) => void)[] = [];
  private runs = new Map<string, { onOutput: () => void; onResult: (r: PublicResult) => void }>();
  private pending: EditOp[] = [];
  private editing: Promise<void> | null = null;
  private closedSignal: Promise<'disconnected'>;

  private constructor(private ws: WebSocket, private hooks: SessionHooks) {
    this.closedSignal = new Promise((resolve) => ws.once('close', () => resolve('disconnected')));
    ws.on('message', (raw) => {
      let m: Reply;
      try {
        m = JSON.parse(raw.toString()) as Reply;
      } catch {
        return this.hooks.protocolError('malformed_server_message', raw.toString().slice(0, 200));
      }
      if (REPLY_TYPES.has(m.type)) {
        const r = this.replies.shift();
        if (r) r(m);
        else this.hooks.protocolError('unexpected_reply', JSON.stringify(m).slice(0, 200));
      } else if (m.type === 'output') {
        this.runs.get(m.runId as string)?.onOutput();
      } else if (m.type === 'result') {
        this.runs.get(m.runId as string)?.onResult(m.result as PublicResult);
      }
    });
    ws.on('close', () => {
      this.closed = true;
      for (const r of this.replies.splice(0)) r({ type: 'error', code: 'disconnected', message: 'the connection closed' });
    });
    ws.on('error', () => undefined);
  }

  static async connect(url: string, apiKey: string, hooks: SessionHooks, timeoutMs = 15000): Promise<EditorSession> {
    const ws = new WebSocket(url, { headers: { 'x-api-key': apiKey }, handshakeTimeout: timeoutMs });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`WebSocket upgrade refused: HTTP ${res.statusCode}`)));
    });
    return new EditorSession(ws, hooks);
  }

  private request(m: object): Promise<Reply> {
    if (this.closed) return Promise.resolve({ type: 'error', code: 'disconnected', message: 'the connection closed' });
    return new Promise((resolve) => {
      this.replies.push(resolve);
      this.ws.send(JSON.stringify(m));
    });
  }

  async open(language: string, dependencySet: string | undefined, text: string): Promise<void> {
    const r = await this.request({ type: 'open', language, ...(dependencySet ? { dependencySet } : {}), text });
    if (r.type !== 'opened') throw Object.assign(new Error(`open refused: ${String(r.code)}: ${String(r.message)}`), { code: String(r.code ?? r.type) });
    this.sessionId = r.sessionId as string;
    this.version = r.version as number;
    const files = r.files as { name: string; content: string }[];
    this.fileName = files[0]!.name;
    this.text = files[0]!.content;
  }

  /** Applies ops locally now; they reach the server in order, batched while an edit is in flight. */
  edit(ops: EditOp[]): void {
    for (const op of ops) this.text = applyOp(this.text, op);
    this.pending.push(...ops);
    if (!this.editing) this.editing = this.pump().finally(() => (this.editing = null));
  }

  /** Resolves when every local edit has been acknowledged. */
  async flush(): Promise<void> {
    while (this.editing) await this.editing;
  }

  private async pump(): Promise<void> {
    while (this.pending.length && !this.closed) {
      const ops = this.pending.splice(0);
      const t0 = performance.now();
      const r = await this.request({ type: 'edit', baseVersion: this.version, ops });
      if (r.type === 'ack') {
        this.version = r.version as number;
        this.hooks.editAcked(performance.now() - t0, ops.length);
      } else if (r.type === 'error' && r.code === 'rate_limited') {
        const s = retryAfterSeconds(String(r.message));
        this.hooks.rateLimited('edit', s);
        this.pending.unshift(...ops);
        await sleep(s * 1000);
      } else if (r.type === 'error' && r.code === 'disconnected') {
        return;
      } else {
        this.hooks.protocolError(r.type === 'resync' ? 'resync' : String(r.code), String(r.reason ?? r.message));
        await this.restore();
      }
    }
  }

  /** After a refused edit: make the server's text ours again, as an editor does. */
  private async restore(): Promise<void> {
    const pendingText = this.text;
    this.pending = [];
    const r = await this.request({ type: 'set', files: [{ name: this.fileName, content: pendingText }] });
    if (r.type === 'ack') this.version = r.version as number;
    else this.hooks.protocolError(String(r.code ?? r.type), `set after resync: ${String(r.message)}`);
  }

  /** Runs the current text once every edit is acknowledged; waits for the result. */
  async run(params: { stdin?: string }, opts: { resultTimeoutMs: number; maxRetries?: number; stopped?: () => boolean }): Promise<RunOutcome> {
    await this.flush();
    for (let attempt = 0; ; attempt++) {
      const runId = `load-${randomUUID()}`;
      let firstOutputAt: number | undefined;
      let resolveResult!: (r: PublicResult) => void;
      const result = new Promise<PublicResult>((resolve) => (resolveResult = resolve));
      this.runs.set(runId, { onOutput: () => (firstOutputAt ??= performance.now()), onResult: resolveResult });
      const sentAtMs = Date.now();
      const t0 = performance.now();
      const r = await this.request({ type: 'run', runId, version: this.version, ...(params.stdin ? { stdin: params.stdin } : {}) });
      const acceptMs = performance.now() - t0;
      if (r.type !== 'run_accepted') {
        this.runs.delete(runId);
        const code = String(r.code ?? r.type);
        if (code === 'rate_limited' && attempt < (opts.maxRetries ?? 30) && !opts.stopped?.()) {
          const s = retryAfterSeconds(String(r.message));
          this.hooks.rateLimited('run', s);
          await sleep(s * 1000);
          continue;
        }
        if (code !== 'disconnected' && code !== 'rate_limited') this.hooks.protocolError(code, String(r.message));
        return { status: code === 'disconnected' ? 'disconnected' : `rejected:${code}`, latencyMs: acceptMs, acceptMs, sentAtMs, receivedAtMs: Date.now(), message: String(r.message) };
      }
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        result.then((res) => ({ res })),
        new Promise<{ res?: undefined; why: string }>((resolve) => {
          timer = setTimeout(() => resolve({ why: 'client_timeout' }), opts.resultTimeoutMs);
          void this.closedSignal.then((why) => resolve({ why }));
        }),
      ]);
      clearTimeout(timer);
      this.runs.delete(runId);
      const latencyMs = performance.now() - t0;
      const firstOutputMs = firstOutputAt !== undefined ? firstOutputAt - t0 : undefined;
      if (!outcome.res) return { status: (outcome as { why: string }).why, latencyMs, acceptMs, firstOutputMs, sentAtMs, receivedAtMs: Date.now() };
      return { status: outcome.res.status, latencyMs, acceptMs, firstOutputMs, sentAtMs, receivedAtMs: Date.now(), result: outcome.res };
    }
  }

  close(): void {
    this.closed = true;
    this.ws.close();
  }

  terminate(): void {
    this.closed = true;
    this.ws.terminate();
  }
}
