import WebSocket from 'ws';
import { retryAfterSeconds } from './editor-session';
import { sleep } from '../../topics/ground/retry';

/**
 * The edits bench's typist: one editor connection typing at the end of its
 * text as fast as the gateway acknowledges, one edit in flight, as an
 * EditorSession's `edit` then `flush` does. The gateway gets the same
 * messages, byte for byte; the typist only spends less of the shared cores
 * on itself: it keeps the text's length, not the text, writes each edit as
 * one masked frame (a buffer, so ws masks it into a single write), and reads
 * an `ack` without JSON.parse. Anything else the gateway answers goes through
 * JSON.parse and is reported; a refused edit ends the typing (the bench counts
 * errors, it does not resynchronise).
 */
export interface TypistHooks {
  editAcked(ms: number): void;
  rateLimited(retryAfterS: number): void;
  protocolError(code: string, message: string): void;
}

const ACK_PREFIX = Buffer.from('{"type":"ack","version":');

/** The version of an `ack` message, or undefined for any other message. */
export function ackVersion(raw: Buffer): number | undefined {
  if (raw.length <= ACK_PREFIX.length + 1 || raw[raw.length - 1] !== 0x7d || raw.compare(ACK_PREFIX, 0, ACK_PREFIX.length, 0, ACK_PREFIX.length) !== 0) return undefined;
  let v = 0;
  for (let i = ACK_PREFIX.length; i < raw.length - 1; i++) {
    const d = raw[i]! - 0x30;
    if (d < 0 || d > 9) return undefined;
    v = v * 10 + d;
  }
  return v;
}

/** The edit message an EditorSession sends for one insertion at `offset` (JSON.stringify's bytes). */
export function editMessage(baseVersion: number, offset: number, insert: string): string {
  return `{"type":"edit","baseVersion":${baseVersion},"ops":[{"offset":${offset},"deleteCount":0,"insert":${JSON.stringify(insert)}}]}`;
}

export class Typist {
  private onReply: ((raw: Buffer) => void) | null = null;
  private closed = false;

  private constructor(private ws: WebSocket, private version: number, private length: number) {
    ws.on('message', (raw: Buffer) => {
      const f = this.onReply;
      this.onReply = null;
      f?.(raw);
    });
    ws.on('close', () => {
      this.closed = true;
      const f = this.onReply;
      this.onReply = null;
      f?.(Buffer.from('{"type":"error","code":"disconnected","message":"the connection closed"}'));
    });
    ws.on('error', () => undefined);
  }

  /** Connects and opens a session of `language` with `text` (within timeoutMs, or throws). */
  static async open(url: string, apiKey: string, language: string, text: string, timeoutMs = 15000): Promise<Typist> {
    const ws = new WebSocket(url, { headers: { 'x-api-key': apiKey }, handshakeTimeout: timeoutMs });
    const opened = await new Promise<{ version: number; files: { content: string }[] }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to open within ${timeoutMs} ms`)), timeoutMs);
      const fail = (err: Error) => {
        clearTimeout(timer);
        reject(err);
      };
      ws.once('error', fail);
      ws.once('unexpected-response', (_req, res) => fail(new Error(`WebSocket upgrade refused: HTTP ${res.statusCode}`)));
      ws.once('open', () => ws.send(JSON.stringify({ type: 'open', language, text })));
      ws.once('message', (raw: Buffer) => {
        clearTimeout(timer);
        ws.off('error', fail);
        const m = JSON.parse(raw.toString()) as { type: string; version: number; files: { content: string }[]; code?: string; message?: string };
        if (m.type === 'opened') resolve(m);
        else reject(new Error(`open refused: ${String(m.code)}: ${String(m.message)}`));
      });
    });
    return new Typist(ws, opened.version, opened.files[0]!.content.length);
  }

  private reply(): Promise<Buffer> {
    return new Promise((resolve) => (this.onReply = resolve));
  }

  /** Types until `end` (performance.now()): two characters an edit, a line break every 40th. */
  async typeUntil(end: number, hooks: TypistHooks): Promise<void> {
    let k = 0;
    while (!this.closed && performance.now() < end) {
      const insert = ++k % 40 === 0 ? '\n' : 'ab';
      const replied = this.reply();
      const t0 = performance.now();
      this.ws.send(Buffer.from(editMessage(this.version, this.length, insert)), { binary: false });
      const raw = await replied;
      const v = ackVersion(raw);
      if (v !== undefined) {
        this.version = v;
        this.length += insert.length;
        hooks.editAcked(performance.now() - t0);
        continue;
      }
      const m = JSON.parse(raw.toString()) as { type: string; code?: string; message?: string; reason?: string };
      if (m.type === 'error' && m.code === 'disconnected') return;
      if (m.type === 'error' && m.code === 'rate_limited') {
        const s = retryAfterSeconds(String(m.message));
        hooks.rateLimited(s);
        await sleep(s * 1000);
        k--;
        continue;
      }
      hooks.protocolError(m.type === 'resync' ? 'resync' : String(m.code ?? m.type), String(m.reason ?? m.message));
      return;
    }
  }

  close(): void {
    this.ws.close();
  }
}
