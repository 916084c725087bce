import { diffOp, rebase, type Op, type PageFile, type Rebased, type RemoteChange } from './rebase';

/**
 * The page's end of the editor protocol (docs/editor-protocol.md). Changes are
 * sent as diff ops, one message in flight at a time (so every ack or resync
 * answers exactly that message, and what was typed meanwhile goes out as the
 * next edit). A collaborator's version (`edited`) is mapped over what this page
 * has not sent yet (./rebase.ts); an edit that crossed it is refused by the
 * server and goes again, rebased. A reconnect resumes the session: with the
 * page's text when an edit was in flight (its ack may be lost, so the person's
 * text wins), otherwise without, and the server's newer text is rebased over the
 * page's like a collaborator's. A gateway that no longer knows the session gets
 * a new one with the same text. Nothing typed is lost either way.
 */
export type { PageFile };
export interface OpenSpec { language: string; version?: string; dependencySet?: string; hardwareClass?: string }
export type ServerMsg = { type: string } & Record<string, any>;

export interface LiveSessionEvents {
  status(text: string, state: 'connecting' | 'saved' | 'saving' | 'offline'): void;
  opened(m: ServerMsg): void;
  /** The server's text replaces the page's (a resync with nothing unsent on this side). */
  replaced(files: PageFile[]): void;
  /** Another peer's version (or the server's newer text) to show, mapped over the page's unsent changes. */
  rebased(r: Rebased): void;
  message(m: ServerMsg): void;
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
  /** An edit was in flight when the connection dropped: the server may have taken it without us hearing. */
  let uncertain = false;
  /** The text a `resume` carried: the server's text equal to it is the page's own, not someone else's change. */
  let resumedWith: PageFile[] | null = null;
  /** A remote change is being applied to the editor: its change events are not the person's typing. */
  let applying = false;
  let token: string | null = null;
  let peerId: string | null = null;
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
    if (applying) return;
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

  /** Shows a remote change: the server's text moves to `next` at `v`, the page keeps its unsent typing. */
  function take(v: number, change: RemoteChange) {
    const r = rebase(confirmed, o.files(), change);
    confirmed = r.next;
    version = v;
    applying = true;
    try {
      o.events.rebased(r);
    } finally {
      applying = false;
    }
  }

  /** The server's text at `v` (a resync, a resumed session): rebased over the page's when the page knows its base. */
  function adopt(v: number, files: PageFile[]) {
    const mine = o.files();
    inflight = null;
    if (!mine.length) {
      confirmed = files;
      version = v;
      o.events.replaced(files);
    } else if (same(files, mine) || (resumedWith && same(files, resumedWith))) {
      // The server has the page's text (or what it was when the resume went out): what was typed since goes as an edit.
      confirmed = files;
      version = v;
    } else if (!confirmed.length || v < version) {
      // No base to rebase on, or the server lost versions: the person's text wins (flush sends the difference).
      confirmed = files;
      version = v;
    } else if (v !== version || !same(files, confirmed)) {
      take(v, { files });
    }
  }

  function onMessage(m: ServerMsg) {
    switch (m.type) {
      case 'opened':
        if (m.resumed) adopt(m.version, m.files);
        else {
          version = m.version;
          confirmed = m.files;
          inflight = null;
        }
        resumedWith = null;
        sessionId = m.sessionId;
        token = m.collabToken ?? token;
        peerId = m.peerId ?? null;
        ready = true;
        uncertain = false;
        o.events.opened(m);
        flush();
        break;
      case 'edited':
        // Versions arrive in order; one already known (announced before `opened`) is skipped.
        if (!ready || m.version <= version) break;
        if (m.version !== version + 1) {
          // A gap (should not happen): the next edit is refused and its resync repairs it.
          if (!inflight) send({ type: 'sync' });
          break;
        }
        // An edit of ours in flight crossed this one: the server refuses it and we send it again, rebased.
        take(m.version, m.ops ? { ops: m.ops } : { files: m.files });
        if (!inflight) flush();
        o.events.message(m);
        break;
      case 'ack':
        version = m.version;
        if (inflight) confirmed = inflight;
        inflight = null;
        flush();
        break;
      case 'resync':
        adopt(m.version, m.files);
        if (ready) flush();
        break;
      case 'error':
        if (m.code === 'unknown_session' && spec) {
          // The session expired or its gateway lost it: a new one with the same text.
          sessionId = null;
          if (o.files().length) send({ type: 'open', ...spec, files: o.files() });
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
      if (sessionId) resumeNow();
      else if (spec) send({ type: 'open', ...spec, files: o.files() });
    };
    sock.onmessage = (ev) => onMessage(JSON.parse(String(ev.data)) as ServerMsg);
    sock.onclose = () => {
      if (ws !== sock) return;
      ready = false;
      if (inflight) uncertain = true;
      inflight = null;
      report();
      retryTimer = setTimeout(connect, o.reconnectMs ?? 700);
    };
  }

  function resumeNow() {
    const files = o.files();
    const withText = files.length > 0 && (uncertain || !confirmed.length);
    resumedWith = withText ? files : null;
    send({ type: 'resume', sessionId, version, ...(withText ? { files } : {}), ...(token ? { token } : {}) });
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
    resume(id: string, s: OpenSpec | null, collabToken?: string) {
      spec = s;
      sessionId = id;
      token = collabToken ?? null;
      confirmed = [];
      version = 0;
      if (ws?.readyState === WebSocket.OPEN) resumeNow();
      else if (!ws) connect();
    },
    /** Where the person's cursor is, for the other peers. */
    cursor(file: string, anchor: number, head: number) {
      if (ready) send({ type: 'cursor', file, anchor, head });
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
    get collabToken() {
      return token;
    },
    get peerId() {
      return peerId;
    },
    get version() {
      return version;
    },
  };
}
export type LiveSession = ReturnType<typeof createLiveSession>;
