import { EditorClient } from '../../producers/client/editor-client';
import { sleep } from '../../topics/ground/retry';

/**
 * Steady load for the chaos scenarios: people who each keep one editor
 * session, type a line, wait for its acknowledgement, press Run and wait for
 * the answer, again and again. Each program prints the numbers of its lines,
 * so every answer proves which acknowledged edits the executor ran. A person
 * whose connection drops reconnects (to any gateway of the list), resumes the
 * session with the text on screen and asks again for the run it was waiting
 * for, under the same run id — what the editor page does.
 */
export interface PeopleOptions {
  /** Gateway base URLs (http://…); people spread over them and fail over along the list. */
  urls: string[];
  people: number;
  /** Seconds each run sleeps before printing, so runs are in flight when a fault strikes. */
  runSeconds?: number;
  /** Pause between a result and the next edit. */
  thinkMs?: number;
  /** How long a person waits for an acknowledgement or a result before counting the run lost. */
  answerDeadlineMs?: number;
  onProgress?: (m: string) => void;
}

export interface RunRecord { person: number; runId: string; acceptedAt: number; answeredAt?: number; status?: string; lostEdits?: boolean; message?: string }

export interface PeopleReport {
  runs: RunRecord[];
  /** Acknowledged edits, each a session version a later answer must include. */
  editsAcked: number;
  /** Edits sent that got neither an acknowledgement nor an error within the deadline. */
  editsUnanswered: number;
  /** Results a client received beyond the first for one run id. */
  duplicates: number;
  /** Runs refused before acceptance, by error code (rate limits, admission, a class with no executor…). */
  refused: Record<string, number>;
  reconnects: number;
}

const program = (runSeconds: number, lines: number[]) =>
  `import time\ntime.sleep(${runSeconds})\n${lines.map((n) => `print(${n})\n`).join('')}`;

export function startPeople(o: PeopleOptions) {
  const runSeconds = o.runSeconds ?? 0.5;
  const deadline = o.answerDeadlineMs ?? 120_000;
  const runs: RunRecord[] = [];
  const refused: Record<string, number> = {};
  let editsAcked = 0;
  let unacknowledged = 0;
  let reconnects = 0;
  let stopping = false;
  const clients: EditorClient[] = [];

  async function connect(person: number, attempt: number): Promise<EditorClient> {
    const until = Date.now() + deadline;
    for (let i = attempt; ; i++) {
      const url = o.urls[(person + i) % o.urls.length]!.replace(/^http/, 'ws');
      try {
        const c = await EditorClient.connect(`${url}/ws/editor`);
        clients.push(c);
        return c;
      } catch (err) {
        if (Date.now() > until) throw new Error(`person ${person} could not reach any gateway within ${deadline} ms: ${(err as Error).message}`);
        await sleep(250);
      }
    }
  }

  async function person(p: number): Promise<void> {
    const lines: number[] = [];
    let c = await connect(p, 0);
    let opened = await c.open('python', program(runSeconds, lines));
    if (opened.type !== 'opened') throw new Error(`person ${p} could not open a session: ${JSON.stringify(opened)}`);
    const sessionId = opened.sessionId as string;
    let version = opened.version as number;
    let attempt = 0;
    const isClosed = (err: unknown) => /connection closed|not open|CLOSED|CLOSING/i.test(String((err as Error).message));

    /** A new connection with the text on screen; the server's session continues from it. */
    async function resume(): Promise<void> {
      reconnects++;
      const until = Date.now() + deadline;
      for (;;) {
        c = await connect(p, ++attempt);
        try {
          const mark = c.messages.length;
          c.send({ type: 'resume', sessionId, version, files: [{ name: 'main.py', content: program(runSeconds, lines) }] });
          const m = await c.next((x) => x.type === 'opened' || x.type === 'error', deadline, mark);
          // The gateway could not rebuild the session just now (the broker busy): a person tries again.
          if (m.type === 'error' && m.code === 'internal_error' && Date.now() < until) {
            o.onProgress?.(`person ${p}: resume refused (${m.message}); again`);
            c.close();
            await sleep(1000);
            continue;
          }
          if (m.type !== 'opened') throw new Error(`resume refused: ${m.code}: ${m.message}`);
          version = m.version as number;
          return;
        } catch (err) {
          if (!isClosed(err)) throw err;
        }
      }
    }

    /** Sends a message and waits for its answer, resuming (and sending again) when the connection drops. */
    async function ask(msg: () => object, pred: (m: any) => boolean): Promise<any> {
      for (;;) {
        const mark = c.messages.length;
        try {
          c.send(msg());
          return await c.next(pred, deadline, mark);
        } catch (err) {
          if (!isClosed(err)) throw err;
          await resume();
        }
      }
    }

    for (let n = 1; !stopping; n++) {
      const line = p * 1_000_000 + n;
      lines.push(line);
      const text = program(runSeconds, lines);
      // The whole text each time (`set`): after a resume the server's version may have moved on.
      let ack;
      try {
        ack = await ask(() => ({ type: 'set', files: [{ name: 'main.py', content: text }] }), (m) => m.type === 'ack' || m.type === 'error');
      } catch (err) {
        // No acknowledgement within the deadline: counted, and the person reconnects and goes on.
        unacknowledged++;
        o.onProgress?.(`person ${p}: edit unanswered (${(err as Error).message.slice(0, 60)}); last messages: ${c.messages.slice(-4).map((m) => `${m.type}${m.code ? `:${m.code}` : ''}`).join(', ')}`);
        c.close();
        await resume();
        continue;
      }
      if (ack.type === 'error') {
        refused[ack.code] = (refused[ack.code] ?? 0) + 1;
        await sleep(Math.max(500, (ack.retryAfterS ?? 0) * 1000));
        continue;
      }
      version = ack.version;
      editsAcked++;
      const expected = lines.map((x) => `${x}\n`).join('');
      const runId = `chaos-${p}-${n}-${Date.now().toString(36)}`;
      const runVersion = version;
      let rec: RunRecord | undefined;
      try {
        const result = await ask(
          () => ({ type: 'run', runId, version: runVersion }),
          (m) => (m.type === 'run_accepted' && m.runId === runId && !rec && (rec = { person: p, runId, acceptedAt: Date.now() }, runs.push(rec), false)) || (m.type === 'result' && m.runId === runId) || (m.type === 'error' && !rec),
        );
        if (result.type === 'error') {
          refused[result.code] = (refused[result.code] ?? 0) + 1;
          await sleep(Math.max(500, (result.retryAfterS ?? 0) * 1000));
          continue;
        }
        rec!.answeredAt = Date.now();
        rec!.status = result.result.status;
        rec!.message = result.result.message ?? undefined;
        rec!.lostEdits = result.result.status === 'ok' && result.result.run?.stdout !== expected;
      } catch (err) {
        // No answer within the deadline: the run stays unanswered (lost), the person goes on.
        o.onProgress?.(`person ${p}: run ${runId} unanswered (${(err as Error).message.slice(0, 60)}); last messages: ${c.messages.slice(-4).map((m) => `${m.type}${m.code ? `:${m.code}` : ''}`).join(', ')}`);
      }
      await sleep(o.thinkMs ?? 100);
    }
  }

  const t0 = Date.now();
  const done = Promise.allSettled(Array.from({ length: o.people }, (_, p) => person(p)));
  const progress = setInterval(() => {
    const answered = runs.filter((r) => r.answeredAt).length;
    o.onProgress?.(`${Math.round((Date.now() - t0) / 1000)} s: ${answered} runs answered, ${runs.length - answered} waiting, ${reconnects} reconnects`);
  }, 10_000);

  return {
    runs,
    /** Stops pressing Run, waits for the answers still due, then counts what every client received. */
    async stop(graceMs = 3000): Promise<PeopleReport> {
      stopping = true;
      const settled = await done;
      clearInterval(progress);
      for (const s of settled) if (s.status === 'rejected') throw s.reason;
      // Late duplicates (a second executor's result) arrive after the first: listen a little longer.
      await sleep(graceMs);
      const seen = new Map<string, number>();
      for (const c of clients) for (const m of c.messages) if (m.type === 'result') seen.set(m.runId as string, (seen.get(m.runId as string) ?? 0) + 1);
      for (const c of clients) c.close();
      const duplicates = [...seen.values()].reduce((s, k) => s + Math.max(0, k - 1), 0);
      return { runs, editsAcked, editsUnanswered: unacknowledged, duplicates, refused, reconnects };
    },
  };
}
export type People = ReturnType<typeof startPeople>;
