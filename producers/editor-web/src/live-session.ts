/**
 * The page's end of the editor protocol (docs/editor-protocol.md). The person's
 * text is the truth on this side: changes are sent as diff ops, one message in
 * flight at a time (so every ack or resync answers exactly that message, and
 * what was typed meanwhile goes out as the next edit); a reconnect resumes the
 * session with the current text, so nothing typed while offline is lost; a
 * gateway that no longer knows the session gets a new one with the same text.
 */
export interface PageFile { name: string; content: string }
export interface OpenSpec { language: string; version?: string; dependencySet?: string; hardwareClass?: string }
export type ServerMsg = { type: string } & Record<string, any>;

export interface LiveSessionEvents {
  status(text: string, state: 'connecting' | 'saved' | 'saving' | 'offline'): void;
  opened(m: ServerMsg): void;
  /** The server's text replaces the page's (a resync with nothing unsent on this side). */
  replaced(files: PageFile[]): void;
  message(m: ServerMsg): void;
}

interface Op { file: string; offset: number; deleteCount: number; insert: string }

/** The smallest single replacement that turns `a` into `b` (common prefix and suffix kept). */
export function diffOp(file: string, a: string, b: string): Op | null {
  if (a === b) return null;
  let p = 0;
  while (p < a.length && p < b.length && a.charCodeAt(p) === b.charCodeAt(p)) p++;
  let s = 0;
  while (s < a.length - p && s < b.length - p && a.charCodeAt(a.length - 1 - s) === b.charCodeAt(b.length - 1 - s)) s++;
  return { file, offset: p, deleteCount: a.length - p - s, insert: b.slice(p, b.length - s) };
}

const same = (a: PageFile[], b: PageFile[]) => a.length === b.length && a.every((f, i) => f.name === b[i]!.name && f.content === b[i]!.content);

export function createLiveSession(o: { url: string; events: LiveSessionEvents; files: () => PageFile[]; reconnectMs?: number }) {
  let ws: WebSocket | null = null;
  let sessionId: string | null = null;
  let spec: OpenSpec | null = null;
  let version = 0;
  /** The text the server has acknowledged. */
  let confirmed: PageFile[] = [];
  /** The text of the message in flight, if any. */
  let inflight: PageFile[] | null = null;
  let ready = false;
  let closed = false;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  const waiters: (() => void)[] = [];

  const send = (m: object) => ws?.readyState === WebSocket.OPEN && ws.send(JSON.stringify(m));
  const settled = () => ready && !inflight && same(confirmed, o.files());

  function report() {
    if (!ready) o.events.status(ws?.readyState === WebSocket.OPEN ? 'opening…' : 'offline: reconnecting, your text is kept', ws?.readyState === WebSocket.OPEN ? 'connecting' : 'offline');
    else if (settled()) o.events.status(`v${version} saved`, 'saved');
    else o.events.status(`saving… (v${version} saved)`, 'saving');
  }

  /** Sends what changed since the last acknowledged text, if nothing is in flight. */
  function flush() {
    if (!ready || inflight) return report();
    const now = o.files();
    if (same(now, confirmed)) {
      report();
      for (const w of waiters.splice(0)) w();
      return;
    }
    inflight = now;
    const names = confirmed.map((f) => f.name);
    if (names.length === now.length && now.every((f, i) => f.name === names[i])) {
      const ops = now.map((f, i) => diffOp(f.name, confirmed[i]!.content, f.content)).filter((x): x is Op => x !== null);
      send({ type: 'edit', baseVersion: version, ops });
    } else {
      send({ type: 'set', files: now });
    }
    report();
  }

  function onMessage(m: ServerMsg) {
    switch (m.type) {
      case 'opened':
        sessionId = m.sessionId;
        version = m.version;
        confirmed = m.files;
        inflight = null;
        ready = true;
        o.events.opened(m);
        flush();
        break;
      case 'ack':
        version = m.version;
        if (inflight) confirmed = inflight;
        inflight = null;
        flush();
        break;
      case 'resync': {
        version = m.version;
        const mine = o.files();
        const unsent = !same(mine, confirmed) || inflight;
        confirmed = m.files;
        inflight = null;
        // Told to resynchronise with nothing unsent here: take the server's text. Otherwise the person's text wins.
        if (!unsent) o.events.replaced(m.files);
        flush();
        break;
      }
      case 'error':
        if (m.code === 'unknown_session' && spec) {
          // The session expired or its gateway lost it: a new one with the same text.
          sessionId = null;
          send({ type: 'open', ...spec, files: o.files() });
        } else if (inflight && ['rate_limited', 'edit_out_of_range', 'unknown_file', 'too_many_ops', 'version_ahead'].includes(m.code)) {
          // The edit was refused: send the whole text again shortly.
          inflight = null;
          confirmed = [];
          setTimeout(flush, m.code === 'rate_limited' ? 1000 : 0);
        }
        o.events.message(m);
        break;
      default:
        o.events.message(m);
    }
  }

  function connect() {
    if (closed) return;
    ready = false;
    const sock = new WebSocket(o.url);
    ws = sock;
    report();
    sock.onopen = () => {
      report();
      if (sessionId) send({ type: 'resume', sessionId, version, files: o.files() });
      else if (spec) send({ type: 'open', ...spec, files: o.files() });
    };
    sock.onmessage = (ev) => onMessage(JSON.parse(String(ev.data)) as ServerMsg);
    sock.onclose = () => {
      if (ws !== sock) return;
      ready = false;
      inflight = null;
      report();
      retryTimer = setTimeout(connect, o.reconnectMs ?? 700);
    };
  }

  return {
    /** Opens a new session (a language change, a shared link). */
    open(s: OpenSpec) {
      spec = s;
      sessionId = null;
      ready = false;
      if (ws?.readyState === WebSocket.OPEN) send({ type: 'open', ...s, files: o.files() });
      else if (!ws) connect();
    },
    /** Re-attaches to a session that exists (a reload, a collaboration link). */
    resume(id: string, s: OpenSpec) {
      spec = s;
      sessionId = id;
      if (ws?.readyState === WebSocket.OPEN) send({ type: 'resume', sessionId: id, version: 0, files: o.files() });
      else if (!ws) connect();
    },
    /** Connects ahead of the first open (the page does it while it reads the runtimes). */
    warm() {
      if (!ws) connect();
    },
    changed: flush,
    /** Resolves once the server has acknowledged the text as it is now, with its version. */
    async saved(timeoutMs = 15000): Promise<number> {
      if (!settled()) {
        await new Promise<void>((resolve, reject) => {
          const t = setTimeout(() => reject(new Error('The server did not acknowledge the text in time.')), timeoutMs);
          waiters.push(() => {
            clearTimeout(t);
            resolve();
          });
          flush();
        });
      }
      return version;
    },
    send,
    /** Drops the connection (tests, "reconnect" button); it comes back by itself. */
    drop: () => ws?.close(),
    close() {
      closed = true;
      clearTimeout(retryTimer);
      ws?.close();
    },
    get sessionId() {
      return sessionId;
    },
    get version() {
      return version;
    },
  };
}
export type LiveSession = ReturnType<typeof createLiveSession>;
