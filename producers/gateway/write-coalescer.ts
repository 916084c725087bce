/** The part of a socket (net.Socket, a Writable) that holding its writes uses. */
export interface Corkable {
  cork(): void;
  uncork(): void;
}

/**
 * Holds a socket's writes until the end of the event loop's turn, so that the
 * WebSocket messages one turn sends to one client leave in one write: a run's
 * output and its result come from the same Kafka fetch and were two `writev`
 * calls (each a trip through the loopback or network stack and a wake-up of the
 * client); `run_accepted` and the first `queued` are sent in one turn too. A
 * message waits at most for the rest of the turn (`setImmediate`). Node's cork
 * nests, so ws's own cork around a frame's header and payload stays inside it.
 *
 * By hand because it is eight lines of Node's own cork/uncork; ws has no option
 * for it (its sender writes each frame as it is sent).
 */
export function createWriteCoalescer(schedule: (flush: () => void) => void = setImmediate) {
  const held = new Set<Corkable>();
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    for (const s of held) s.uncork();
    held.clear();
  };
  return {
    /** Holds `socket`'s writes from now to the end of this turn (once per turn, however often asked). */
    hold(socket: Corkable): void {
      if (held.has(socket)) return;
      socket.cork();
      held.add(socket);
      if (!scheduled) {
        scheduled = true;
        schedule(flush);
      }
    },
  };
}
export type WriteCoalescer = ReturnType<typeof createWriteCoalescer>;

/** A WebSocket's JSON sender whose writes `coalescer` holds on `socket` to the end of the turn (either absent: sent as is). */
export function heldJsonSender(ws: { readyState: number; OPEN: number; send(data: string): void }, socket?: Corkable, coalescer?: WriteCoalescer) {
  return (m: object): void => {
    if (ws.readyState !== ws.OPEN) return;
    if (socket) coalescer?.hold(socket);
    ws.send(JSON.stringify(m));
  };
}
