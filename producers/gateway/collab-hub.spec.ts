import { createCollabHub } from './collab-hub';
import type { ServerMessage } from './protocol';

const peer = (peerId: string) => {
  const got: ServerMessage[] = [];
  return { peerId, got, send: (m: ServerMessage) => got.push(m) };
};
const deferred = () => {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((a, b) => ((resolve = a), (reject = b)));
  return { promise, resolve, reject };
};

describe('collaboration hub', () => {
  it('tells peers who arrives, moves and leaves, and a newcomer who is already there with their cursor', () => {
    const hub = createCollabHub();
    const a = peer('a');
    const b = peer('b');
    hub.join('s', a);
    hub.cursor('s', 'a', { file: 'main.py', anchor: 3, head: 5 });
    hub.join('s', b);
    expect(a.got).toEqual([{ type: 'presence', peerId: 'b', state: 'here' }]);
    expect(b.got).toEqual([{ type: 'presence', peerId: 'a', state: 'here', file: 'main.py', anchor: 3, head: 5 }]);
    hub.leave('s', 'b');
    expect(a.got.at(-1)).toEqual({ type: 'presence', peerId: 'b', state: 'left' });
    expect(hub.peers('s')).toBe(1);
  });

  it('announces versions in order even when a later one is durable first, and goes on after a failed one', async () => {
    const hub = createCollabHub();
    const order: string[] = [];
    const first = deferred();
    const second = deferred();
    const third = deferred();
    const p1 = hub.announce('s', first.promise, (ok) => order.push(`v1 ${ok}`));
    const p2 = hub.announce('s', second.promise, (ok) => order.push(`v2 ${ok}`));
    const p3 = hub.announce('s', third.promise, (ok) => order.push(`v3 ${ok}`));
    third.resolve();
    second.reject(new Error('broker down'));
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual([]);
    first.resolve();
    await p1;
    await expect(p2).rejects.toThrow('broker down');
    await p3;
    expect(order).toEqual(['v1 true', 'v2 false', 'v3 true']);
  });

  it('settles after everything announced so far, not before', async () => {
    const hub = createCollabHub();
    const d = deferred();
    let delivered = false;
    void hub.announce('s', d.promise, () => (delivered = true));
    let settled = false;
    const s = hub.settled('s').then(() => (settled = true));
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
    d.resolve();
    await s;
    expect(delivered).toBe(true);
  });

  it('broadcasts to every peer but the one named', () => {
    const hub = createCollabHub();
    const [a, b, c] = [peer('a'), peer('b'), peer('c')];
    for (const p of [a, b, c]) hub.join('s', p);
    hub.broadcast('s', { type: 'pong' }, 'b');
    expect(a.got.at(-1)).toEqual({ type: 'pong' });
    expect(c.got.at(-1)).toEqual({ type: 'pong' });
    expect(b.got.some((m) => m.type === 'pong')).toBe(false);
  });

  it('forgets a session once its last peer left and its last version was announced', async () => {
    const hub = createCollabHub();
    const d = deferred();
    hub.join('s', peer('a'));
    const announced = hub.announce('s', d.promise, () => {});
    hub.leave('s', 'a');
    await new Promise((r) => setImmediate(r));
    expect(hub.rooms()).toBe(1);
    d.resolve();
    await announced;
    await hub.settled('s');
    await new Promise((r) => setImmediate(r));
    expect(hub.rooms()).toBe(0);
    // A version announced after everyone left does not keep the session either.
    await hub.announce('t', Promise.resolve(), () => {});
    await new Promise((r) => setImmediate(r));
    expect(hub.rooms()).toBe(0);
  });
});
