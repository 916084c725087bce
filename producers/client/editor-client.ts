import WebSocket from 'ws';
import type { ServerMessage } from '../gateway/protocol';

type Msg = ServerMessage & Record<string, unknown>;

/**
 * A small client of the editor protocol, as a browser editor would speak it:
 * used by the end-to-end tests and the load generator.
 */
export class EditorClient {
  readonly messages: Msg[] = [];
  private waiters: { pred: (m: Msg) => boolean; resolve: (m: Msg) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }[] = [];
  sessionId: string | null = null;
  version = 0;
  /** Set once the connection closed: a wait for a message then fails at once instead of at its deadline. */
  closed = false;
  files: { name: string; content: string }[] = [];

  private constructor(private ws: WebSocket) {
    ws.on('message', (raw) => {
      const m = JSON.parse(raw.toString()) as Msg;
      this.messages.push(m);
      if (m.type === 'opened') {
        this.sessionId = m.sessionId;
        this.version = m.version;
        this.files = m.files;
      } else if (m.type === 'ack') this.version = m.version;
      for (const w of [...this.waiters]) {
        if (w.pred(m)) {
          clearTimeout(w.timer);
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
    });
    ws.on('close', () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) {
        clearTimeout(w.timer);
        w.reject(new Error('connection closed'));
      }
    });
  }

  static async connect(url: string, headers: Record<string, string> = {}): Promise<EditorClient> {
    const ws = new WebSocket(url, { headers });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new EditorClient(ws);
  }

  send(m: object): void {
    this.ws.send(JSON.stringify(m));
  }

  next(pred: (m: Msg) => boolean, timeoutMs = 30000, since = 0): Promise<Msg> {
    const seen = this.messages.slice(since).find(pred);
    if (seen) return Promise.resolve(seen);
    if (this.closed) return Promise.reject(new Error('connection closed'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.timer !== timer);
        reject(new Error(`no matching message within ${timeoutMs} ms; last: ${JSON.stringify(this.messages.slice(-3))}`));
      }, timeoutMs);
      this.waiters.push({ pred, resolve, reject, timer });
    });
  }

  async open(language: string, text: string, extra: object = {}): Promise<Msg> {
    const mark = this.messages.length;
    this.send({ type: 'open', language, text, ...extra });
    return this.next((m) => m.type === 'opened' || m.type === 'error', 30000, mark);
  }

  /** Sends one edit and waits for its acknowledgement (or a resync/error). */
  async edit(offset: number, deleteCount: number, insert: string, file?: string): Promise<Msg> {
    const mark = this.messages.length;
    this.send({ type: 'edit', baseVersion: this.version, ops: [{ offset, deleteCount, insert, ...(file ? { file } : {}) }] });
    return this.next((m) => m.type === 'ack' || m.type === 'resync' || m.type === 'error', 30000, mark);
  }

  /** Types text at the end of the first file, a few characters per edit, as a person would. */
  async type(text: string, chunk = 3): Promise<void> {
    for (let i = 0; i < text.length; i += chunk) {
      const at = this.currentText().length;
      const piece = text.slice(i, i + chunk);
      const r = await this.edit(at, 0, piece);
      if (r.type !== 'ack') throw new Error(`edit refused: ${JSON.stringify(r)}`);
      this.files[0] = { ...this.files[0]!, content: this.currentText() + piece };
    }
  }

  currentText(): string {
    return this.files[0]?.content ?? '';
  }

  /** Runs the current version; resolves with the result message and the output chunks seen before it. */
  async run(params: object = {}, timeoutMs = 60000): Promise<{ accepted: Msg; result: Msg; output: Msg[] }> {
    const mark = this.messages.length;
    this.send({ type: 'run', ...params });
    const accepted = await this.next((m) => m.type === 'run_accepted' || m.type === 'error', timeoutMs, mark);
    if (accepted.type === 'error') throw Object.assign(new Error(String(accepted.message)), { code: accepted.code });
    const runId = accepted.runId as string;
    const result = await this.next((m) => m.type === 'result' && m.runId === runId, timeoutMs, mark);
    const output = this.messages.slice(mark).filter((m) => m.type === 'output' && m.runId === runId);
    return { accepted, result, output };
  }

  close(): void {
    this.ws.close();
  }

  terminate(): void {
    this.ws.terminate();
  }
}
