import net from 'node:net';
import WebSocket from 'ws';
import { startGateway, stopService } from '../support/stack';

/**
 * The per-client limits and slow-client deadlines against a real gateway
 * process (docs/limits.md, "Clients"), set low so each is reached in seconds:
 * headers trickled, a body trickled, an editor socket that never says hello,
 * too many WebSockets of one client, too many sessions, too many connections
 * of one address. Each refusal is an HTTP status or a close code with a code
 * and a sentence; the gateway keeps serving everyone else.
 */
const PORT = 18082;
const base = `http://127.0.0.1:${PORT}`;
const ws = (path: string) => `ws://127.0.0.1:${PORT}${path}`;
let gateway: Awaited<ReturnType<typeof startGateway>>;

beforeAll(async () => {
  gateway = await startGateway({
    GATEWAY_PORT: String(PORT),
    HEADERS_TIMEOUT_MS: '1000',
    REQUEST_TIMEOUT_MS: '2000',
    EDITOR_HELLO_TIMEOUT_MS: '1500',
    MAX_SOCKETS_PER_CLIENT: '3',
    MAX_CONNECTIONS_PER_ADDRESS: '12',
    RATE_SESSIONS_PER_MINUTE: '1',
    RATE_SESSIONS_BURST: '3',
  });
}, 120000);
afterAll(async () => {
  await stopService(gateway, 5000);
});

/** A raw TCP client: writes `chunks` every `everyMs` and collects what the server sends until it closes (or `deadlineMs`). */
function trickle(chunks: string[], everyMs: number, deadlineMs = 20000): Promise<{ data: string; closed: boolean; afterMs: number; sent: number }> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const socket = net.connect(PORT, '127.0.0.1');
    let data = '';
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    const finish = (closed: boolean) => {
      clearInterval(timer);
      clearTimeout(deadline);
      socket.destroy();
      resolve({ data, closed, afterMs: Date.now() - t0, sent });
    };
    const deadline = setTimeout(() => finish(false), deadlineMs);
    socket.on('data', (d) => (data += d.toString()));
    socket.on('close', () => finish(true));
    socket.on('error', () => {});
    socket.on('connect', () => {
      timer = setInterval(() => {
        if (sent < chunks.length && socket.writable) socket.write(chunks[sent++]!);
      }, everyMs);
    });
  });
}
const bodyOf = (http: string) => JSON.parse(http.slice(http.indexOf('\r\n\r\n') + 4));

/** Opens a WebSocket; resolves when it is open, or with the refusal's status, headers and body. */
function connect(path: string, apiKey: string): Promise<{ socket?: WebSocket; status?: number; retryAfter?: string; body?: any }> {
  return new Promise((resolve, reject) => {
    const s = new WebSocket(ws(path), { headers: { 'x-api-key': apiKey } });
    s.once('open', () => resolve({ socket: s }));
    s.once('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode, retryAfter: res.headers['retry-after'] as string, body: JSON.parse(text) }));
    });
    s.once('error', (err) => reject(err));
  });
}
const messages = (s: WebSocket) => {
  const got: any[] = [];
  s.on('message', (raw) => got.push(JSON.parse(raw.toString())));
  return got;
};
const closed = (s: WebSocket) => new Promise<{ code: number; reason: string }>((r) => s.once('close', (code, reason) => r({ code, reason: reason.toString() })));
async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 20000) {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('slow clients', () => {
  it('answers headers trickled past HEADERS_TIMEOUT_MS with 408 request_timeout and closes', async () => {
    const headers = ['GET /healthz HTTP/1.1\r\n', 'Host: x\r\n', ...Array.from({ length: 200 }, (_, i) => `X-Slow-${i}: y\r\n`)];
    const r = await trickle(headers, 100);
    expect(r.closed).toBe(true);
    expect(r.data).toMatch(/^HTTP\/1\.1 408 /);
    expect(bodyOf(r.data).error).toEqual({ code: 'request_timeout', message: expect.stringMatching(/within 1000 ms/) });
    // Cut long before the client had sent its headers.
    expect(r.sent).toBeLessThan(headers.length);
  });

  it('answers a body trickled past REQUEST_TIMEOUT_MS with 408 request_timeout and closes', async () => {
    const head = 'POST /api/v1/runs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n';
    const r = await trickle([head, ...Array.from({ length: 400 }, () => ' ')], 50);
    expect(r.closed).toBe(true);
    expect(r.data).toMatch(/^HTTP\/1\.1 408 /);
    expect(bodyOf(r.data).error.code).toBe('request_timeout');
    expect(r.sent).toBeLessThan(401);
  });

  it('still answers a request that arrives in time', async () => {
    const r = await trickle(['GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'], 10);
    expect(r.data).toMatch(/^HTTP\/1\.1 200 /);
  });

  it('closes an editor socket that never opens or resumes a session with hello_timeout (4008)', async () => {
    const { socket } = await connect('/ws/editor', 'idle-client');
    const got = messages(socket!);
    const c = await closed(socket!);
    expect(c).toEqual({ code: 4008, reason: 'Hello Timeout' });
    expect(got).toEqual([{ type: 'error', code: 'hello_timeout', message: expect.stringMatching(/within 1500 ms/) }]);
  });

  it('keeps an editor socket that opened a session past the hello deadline', async () => {
    const { socket } = await connect('/ws/editor', 'prompt-client');
    const got = messages(socket!);
    socket!.send(JSON.stringify({ type: 'open', language: 'python', text: 'print(1)\n' }));
    await until('opened', () => got.some((m) => m.type === 'opened'));
    await new Promise((r) => setTimeout(r, 2500));
    expect(socket!.readyState).toBe(WebSocket.OPEN);
    socket!.close();
  });
});

describe('limits per client', () => {
  it('refuses a client\'s WebSocket beyond MAX_SOCKETS_PER_CLIENT with 429 too_many_sockets, and admits it again once one closes', async () => {
    const held = await Promise.all([connect('/ws/editor', 'many'), connect('/api/v2/connect', 'many'), connect('/ws/editor', 'many')]);
    expect(held.every((h) => h.socket)).toBe(true);
    // The Piston socket closes itself after 1 s without init (Piston's own timeout), so keep the check prompt.
    const refused = await connect('/ws/editor', 'many');
    expect(refused.status).toBe(429);
    expect(refused.retryAfter).toBe('5');
    expect(refused.body.error).toEqual({ code: 'too_many_sockets', message: expect.stringMatching(/At most 3 WebSockets/) });
    const other = await connect('/ws/editor', 'someone-else');
    expect(other.socket).toBeDefined();
    other.socket!.close();
    held[0]!.socket!.close();
    let again: Awaited<ReturnType<typeof connect>> | undefined;
    await until('a socket admitted again', async () => {
      again = await connect('/ws/editor', 'many');
      return Boolean(again.socket);
    });
    again!.socket!.close();
    for (const h of held) h.socket!.close();
  });

  it('refuses sessions beyond RATE_SESSIONS_BURST with rate_limited', async () => {
    const { socket } = await connect('/ws/editor', 'opener');
    const got = messages(socket!);
    for (let i = 0; i < 4; i++) socket!.send(JSON.stringify({ type: 'open', language: 'python', text: `print(${i})\n` }));
    await until('four answers', () => got.length >= 4);
    expect(got.filter((m) => m.type === 'opened')).toHaveLength(3);
    expect(got[3]).toMatchObject({ type: 'error', code: 'rate_limited', retryAfterS: expect.any(Number) });
    socket!.close();
  });

  it('refuses connections of one address beyond MAX_CONNECTIONS_PER_ADDRESS with 429 too_many_connections', async () => {
    const open: net.Socket[] = [];
    let refusal = '';
    try {
      // Connections held by keep-alive after one request each, until the gateway refuses one.
      for (let i = 0; i < 20 && !refusal; i++) {
        const s = net.connect(PORT, '127.0.0.1');
        s.on('error', () => {});
        open.push(s);
        const answer = await new Promise<string>((resolve) => {
          let data = '';
          s.on('data', (d) => {
            data += d.toString();
            if (data.includes('\r\n\r\n') && (/^HTTP\/1\.1 429/.test(data) ? data.endsWith('}') : true)) resolve(data);
          });
          s.on('close', () => resolve(data));
          s.on('connect', () => s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'));
        });
        if (/^HTTP\/1\.1 429/.test(answer)) refusal = answer;
      }
      expect(refusal).not.toBe('');
      expect(open.length).toBeLessThanOrEqual(13);
      expect(bodyOf(refusal).error).toEqual({ code: 'too_many_connections', message: expect.stringMatching(/At most 12 connections/) });
    } finally {
      for (const s of open) s.destroy();
    }
    await until('the address served again', async () => (await fetch(`${base}/healthz`).catch(() => null))?.status === 200);
  });
});
