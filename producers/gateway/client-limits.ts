import type http from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * What one client may hold open on a gateway, and how long a slow one may
 * take (docs/limits.md, "Clients"): TCP connections per address, WebSockets
 * per client (API key, else address), and deadlines for a request's headers
 * and for the whole request with its body. A refusal is an HTTP answer with a
 * JSON `{error: {code, message}}`, written on the raw socket when no response
 * exists yet, then the connection is closed.
 */
export interface ClientLimitSettings {
  MAX_CONNECTIONS_PER_ADDRESS: number;
  MAX_SOCKETS_PER_CLIENT: number;
  HEADERS_TIMEOUT_MS: number;
  REQUEST_TIMEOUT_MS: number;
}

const REASONS: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 429: 'Too Many Requests', 431: 'Request Header Fields Too Large' };

/** An HTTP answer on a socket that has no response object (before or outside Express). */
export function rawRefusal(socket: Duplex, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  if (socket.writable) {
    const body = JSON.stringify({ error: { code, message } });
    const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    socket.end(`HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}Connection: close\r\n\r\n${body}`);
  }
  // A client that does not read its answer must not keep the socket either.
  setTimeout(() => socket.destroy(), 1000).unref();
}

/** Counts of what each key holds open; `acquire` says no at the limit (0 = no limit). */
export function createOpenCounter(limit: number) {
  const open = new Map<string, number>();
  return {
    acquire(key: string): boolean {
      const n = open.get(key) ?? 0;
      if (limit > 0 && n >= limit) return false;
      open.set(key, n + 1);
      return true;
    },
    release(key: string): void {
      const n = (open.get(key) ?? 1) - 1;
      if (n <= 0) open.delete(key);
      else open.set(key, n);
    },
    count: (key: string) => open.get(key) ?? 0,
  };
}

/** Sets the slow-client deadlines and the per-address connection limit on a gateway's server. */
export function guardServer(server: http.Server, s: ClientLimitSettings, onRefused?: (code: string) => void): void {
  server.headersTimeout = s.HEADERS_TIMEOUT_MS;
  server.requestTimeout = s.REQUEST_TIMEOUT_MS;
  const connections = createOpenCounter(s.MAX_CONNECTIONS_PER_ADDRESS);
  server.on('connection', (socket) => {
    const address = socket.remoteAddress ?? 'unknown';
    if (!connections.acquire(address)) {
      onRefused?.('too_many_connections');
      return rawRefusal(socket, 429, 'too_many_connections', `At most ${s.MAX_CONNECTIONS_PER_ADDRESS} connections per address are open at once; close some and try again.`, { 'Retry-After': '1' });
    }
    socket.once('close', () => connections.release(address));
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex & { _httpMessage?: { headersSent?: boolean } }) => {
    // A response already under way cannot take a second status line: just close.
    if (socket._httpMessage?.headersSent) return void socket.destroy();
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      onRefused?.('request_timeout');
      return rawRefusal(socket, 408, 'request_timeout', `The request's headers must arrive within ${s.HEADERS_TIMEOUT_MS} ms and the whole request within ${s.REQUEST_TIMEOUT_MS} ms.`);
    }
    if (err.code === 'HPE_HEADER_OVERFLOW') return rawRefusal(socket, 431, 'headers_too_large', 'The request headers are larger than the server accepts.');
    if (err.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
    rawRefusal(socket, 400, 'malformed_request', 'The request is not valid HTTP/1.1.');
  });
}
