import http from 'node:http';
import type net from 'node:net';
import { once } from 'node:events';
import { WebSocket, WebSocketServer } from 'ws';
import { createWriteCoalescer, type Corkable } from './write-coalescer';

function fakeSocket() {
  const s = { corks: 0, uncorks: 0, cork() { s.corks++; }, uncork() { s.uncorks++; } };
  return s;
}

describe('write coalescer', () => {
  it('corks a socket once per turn however often it is held, and uncorks it at the end of the turn', () => {
    const turns: (() => void)[] = [];
    const c = createWriteCoalescer((f) => turns.push(f));
    const a = fakeSocket();
    c.hold(a);
    c.hold(a);
    c.hold(a);
    expect(a).toMatchObject({ corks: 1, uncorks: 0 });
    expect(turns).toHaveLength(1);
    turns.shift()!();
    expect(a).toMatchObject({ corks: 1, uncorks: 1 });
  });

  it('holds every socket of a turn with one scheduled flush, and holds again in the next turn', () => {
    const turns: (() => void)[] = [];
    const c = createWriteCoalescer((f) => turns.push(f));
    const [a, b] = [fakeSocket(), fakeSocket()];
    c.hold(a);
    c.hold(b);
    expect(turns).toHaveLength(1);
    turns.shift()!();
    expect([a.uncorks, b.uncorks]).toEqual([1, 1]);
    c.hold(a);
    expect(turns).toHaveLength(1);
    turns.shift()!();
    expect(a).toMatchObject({ corks: 2, uncorks: 2 });
    expect(b).toMatchObject({ corks: 1, uncorks: 1 });
  });

  it("sends a turn's WebSocket messages to a client in one write of its socket, in order", async () => {
    const wss = new WebSocketServer({ noServer: true });
    const writes: number[] = [];
    const coalescer = createWriteCoalescer();
    // A real HTTP upgrade through an http server (the gateway's path): its socket is the one held.
    const hs = http.createServer();
    hs.listen(0, '127.0.0.1');
    await once(hs, 'listening');
    const hport = (hs.address() as net.AddressInfo).port;
    hs.on('upgrade', (req, socket, head) => {
      const raw = socket as net.Socket & { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void };
      const write = raw._write.bind(raw);
      const writev = raw._writev.bind(raw);
      raw._write = (...a: unknown[]) => { writes.push(1); return write(...a); };
      raw._writev = (chunks: unknown, ...rest: unknown[]) => { writes.push((chunks as unknown[]).length); return writev(chunks, ...rest); };
      wss.handleUpgrade(req, socket, head, (ws) => {
        writes.length = 0;
        const held: Corkable = socket as net.Socket;
        for (const m of ['output', 'result']) {
          coalescer.hold(held);
          ws.send(m);
        }
      });
    });
    const client = new WebSocket(`ws://127.0.0.1:${hport}`);
    const got: string[] = [];
    await new Promise<void>((resolve, reject) => {
      client.on('message', (d) => {
        got.push(String(d));
        if (got.length === 2) resolve();
      });
      client.on('error', reject);
    });
    client.close();
    hs.close();
    expect(got).toEqual(['output', 'result']);
    // Each message is a frame header and a payload: four chunks, one write.
    expect(writes).toEqual([4]);
  });
});
