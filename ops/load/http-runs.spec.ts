import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpTimeout, httpRun, postJson } from './http-runs';

/** A local server that records what it got and answers with what `answer` says. */
async function server(answer: (req: http.IncomingMessage, body: string, res: http.ServerResponse) => void) {
  const seen: { headers: http.IncomingHttpHeaders; body: string }[] = [];
  let connections = 0;
  const s = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ headers: req.headers, body });
      answer(req, body, res);
    });
  });
  s.on('connection', () => connections++);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  return { url, seen, connections: () => connections, close: () => new Promise<void>((r) => { s.closeAllConnections(); s.close(() => r()); }) };
}

describe('the HTTP runs client', () => {
  it('posts JSON with its headers, reads the whole answer and Retry-After, and keeps the connection for the next request', async () => {
    const srv = await server((_req, body, res) => {
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '7' });
      res.end(JSON.stringify({ echoed: JSON.parse(body) }));
    });
    try {
      const a = await postJson(`${srv.url}/api/v2/execute`, { 'x-api-key': 'k1' }, JSON.stringify({ language: 'python', ü: 'ä' }), 5000);
      const b = await postJson(`${srv.url}/api/v2/execute`, { 'x-api-key': 'k1' }, '{}', 5000);
      expect(a).toEqual({ status: 429, retryAfter: '7', text: JSON.stringify({ echoed: { language: 'python', ü: 'ä' } }) });
      expect(b.status).toBe(429);
      expect(srv.seen[0]!.headers['content-type']).toBe('application/json');
      expect(srv.seen[0]!.headers['x-api-key']).toBe('k1');
      expect(Number(srv.seen[0]!.headers['content-length'])).toBe(Buffer.byteLength(srv.seen[0]!.body));
      expect(srv.connections()).toBe(1);
    } finally {
      await srv.close();
    }
  });

  it('gives up on a server that does not answer within the deadline, and a run reports client_timeout', async () => {
    const srv = await server(() => undefined);
    try {
      await expect(postJson(`${srv.url}/api/v1/runs`, {}, '{}', 200)).rejects.toBeInstanceOf(HttpTimeout);
      const o = await httpRun(srv.url, 'rest', 'k', { language: 'python', text: 'print(1)' }, { resultTimeoutMs: 200, rateLimited: () => undefined });
      expect(o.status).toBe('client_timeout');
    } finally {
      await srv.close();
    }
  });

  it('reads a REST result and a refusal with its code', async () => {
    let n = 0;
    const srv = await server((_req, _body, res) => {
      res.writeHead(n++ === 0 ? 200 : 400, { 'content-type': 'application/json' });
      res.end(n === 1 ? JSON.stringify({ runId: 'r-1', status: 'ok' }) : JSON.stringify({ error: { code: 'invalid_request', message: 'no' } }));
    });
    try {
      const ok = await httpRun(srv.url, 'rest', 'k', { language: 'python', text: 'print(1)' }, { resultTimeoutMs: 5000, rateLimited: () => undefined });
      expect(ok.status).toBe('ok');
      expect(ok.result?.runId).toBe('r-1');
      expect(JSON.parse(srv.seen[0]!.body)).toEqual({ language: 'python', code: 'print(1)', wait: true });
      const refused = await httpRun(srv.url, 'rest', 'k', { language: 'python', text: 'print(1)' }, { resultTimeoutMs: 5000, rateLimited: () => undefined });
      expect(refused.status).toBe('rejected:invalid_request');
    } finally {
      await srv.close();
    }
  });
});
