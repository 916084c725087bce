import type { ServerMessage } from './protocol';

/**
 * Who is in each session on this gateway, and the order in which they hear of
 * its versions. The session's text is the gateway's (sessions.ts); the hub only
 * fans out: every accepted version is announced once it is durable, strictly
 * in version order, to its author as `ack` and to everyone else as `edited`.
 * A peer therefore never hears of version n+1 before version n, and a reply
 * that must follow the announcements (a stale edit's `resync`, an `opened`)
 * waits for `settled`.
 *
 * Peers on other gateways do not hear each other (a session is held by the
 * gateway its clients reach; docs/decisions/editor-collaboration.md).
 */
export interface Peer {
  peerId: string;
  send(m: ServerMessage): void;
  /** The last cursor the peer reported, told to peers who join later. */
  cursor?: { file: string; anchor: number; head: number };
}

export function createCollabHub() {
  const rooms = new Map<string, { peers: Map<string, Peer>; tail: Promise<void> }>();
  /** A room with no peers and nothing left to announce is dropped (sessions come and go all day). */
  const tidy = (id: string, r: { peers: Map<string, Peer>; tail: Promise<void> }, tail: Promise<void>) =>
    void tail.then(() => {
      if (!r.peers.size && r.tail === tail && rooms.get(id) === r) rooms.delete(id);
    });
  const room = (id: string) => {
    let r = rooms.get(id);
    if (!r) rooms.set(id, (r = { peers: new Map(), tail: Promise.resolve() }));
    return r;
  };

  return {
    /** Adds a peer; the others hear that it arrived, it hears who is already there. */
    join(sessionId: string, peer: Peer) {
      const r = room(sessionId);
      for (const p of r.peers.values()) {
        p.send({ type: 'presence', peerId: peer.peerId, state: 'here' });
        peer.send({ type: 'presence', peerId: p.peerId, state: 'here', ...(p.cursor ?? {}) });
      }
      r.peers.set(peer.peerId, peer);
    },
    leave(sessionId: string, peerId: string) {
      const r = rooms.get(sessionId);
      if (!r?.peers.delete(peerId)) return;
      for (const p of r.peers.values()) p.send({ type: 'presence', peerId, state: 'left' });
      if (!r.peers.size) tidy(sessionId, r, r.tail);
    },
    /** Sends to every peer of the session but one. */
    broadcast(sessionId: string, m: ServerMessage, exceptPeerId?: string) {
      for (const p of rooms.get(sessionId)?.peers.values() ?? []) if (p.peerId !== exceptPeerId) p.send(m);
    },
    cursor(sessionId: string, peerId: string, c: { file: string; anchor: number; head: number }) {
      const peer = rooms.get(sessionId)?.peers.get(peerId);
      if (!peer) return;
      peer.cursor = c;
      this.broadcast(sessionId, { type: 'presence', peerId, state: 'here', ...c }, peerId);
    },
    /**
     * Queues the announcement of a version: `deliver` runs once `durable` has
     * settled and every earlier announcement of the session has run. Resolves
     * (or rejects) with `durable`; the queue goes on either way, because the
     * version is already the gateway's text.
     */
    announce(sessionId: string, durable: Promise<unknown>, deliver: (ok: boolean) => void): Promise<void> {
      const r = room(sessionId);
      const outcome = durable.then(() => true, () => false);
      const tail = r.tail.then(() => outcome).then(deliver).catch(() => {});
      r.tail = tail;
      tidy(sessionId, r, tail);
      return tail.then(() => durable).then(() => undefined);
    },
    /** Resolves once everything announced so far has been delivered. */
    settled(sessionId: string): Promise<void> {
      return rooms.get(sessionId)?.tail ?? Promise.resolve();
    },
    peers: (sessionId: string) => rooms.get(sessionId)?.peers.size ?? 0,
    /** Sessions the hub holds anything for. */
    rooms: () => rooms.size,
  };
}
export type CollabHub = ReturnType<typeof createCollabHub>;
