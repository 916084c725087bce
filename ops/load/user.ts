import type { Program } from './corpus';
import { editBurst, typeProgram, type EditStep } from './edit-stream';
import { EditorSession, type RunOutcome } from './editor-session';
import { httpRun } from './http-runs';
import type { LoadMetrics } from './metrics';
import type { Protocol } from './mix';
import { randInt } from './stats';

/**
 * One sitting of one simulated person: open the editor, type a program (or
 * load a saved one), run it 10–20 times with edits and reading time between
 * runs, fix the bug if the program had one, leave. Human time is divided by
 * `speed`. Runs never overlap within a sitting: a person waits for the output.
 */
export interface SittingContext {
  baseUrl: string;
  apiKey: string;
  protocol: Protocol;
  program: Program;
  rand: () => number;
  speed: number;
  /** Human seconds of reading and thinking between runs. */
  thinkS: [number, number];
  runs: [number, number];
  resultTimeoutMs: number;
  metrics: LoadMetrics;
  /** True once the person should leave after the current run (end of the test, or the curve goes down). */
  leaving(): boolean;
  /** Resolves after ms, or at once when the sitting must end. */
  sleep(ms: number): Promise<void>;
  onSession?(s: EditorSession): void;
}

/** Programs short enough that people type them; longer ones are opened from a saved file. */
const TYPED_MAX_CHARS = 2500;

export async function sitting(ctx: SittingContext): Promise<void> {
  const { program: p, rand, metrics } = ctx;
  ctx.metrics.sittingsStarted++;
  const typed = p.text.length <= TYPED_MAX_CHARS && rand() < 0.6;
  const runs = randInt(rand, ctx.runs[0], ctx.runs[1]);
  const fixAt = p.fix ? randInt(rand, 1, 3) : Infinity;
  const label = { language: p.language, dependencySet: p.dependencySet, program: p.id, kind: p.kind, protocol: ctx.protocol };
  let text = p.text;
  let fixed = false;
  let session: EditorSession | undefined;
  const play = async (steps: EditStep[]) => {
    for (const s of steps) {
      await ctx.sleep(s.delayMs / ctx.speed);
      if (ctx.leaving()) return false;
      session?.edit(s.ops);
    }
    return true;
  };
  try {
    if (ctx.protocol === 'ws') {
      session = await EditorSession.connect(`${ctx.baseUrl.replace(/^http/, 'ws')}/ws/editor`, ctx.apiKey, {
        editAcked: (ms, ops) => metrics.editAcked(ms, ops),
        rateLimited: (kind) => metrics.rateLimited.add(kind),
        protocolError: (code, message) => metrics.protocolError(code, message),
      });
      ctx.onSession?.(session);
      await session.open(p.language, p.dependencySet, typed ? '' : p.text);
      if (typed && !(await play(typeProgram(p.text, rand)))) return;
    } else if (typed) {
      // The person types into their own editor; only runs reach the service.
      await ctx.sleep(typeProgram(p.text, rand).reduce((a, s) => a + s.delayMs, 0) / ctx.speed);
    }
    for (let i = 0; i < runs && !ctx.leaving(); i++) {
      if (i > 0) {
        const burst = editBurst(text, p.language, rand, { fix: i === fixAt ? p.fix : undefined });
        if (i === fixAt) fixed = true;
        if (session) {
          if (!(await play(burst.steps))) return;
        } else {
          await ctx.sleep(burst.steps.reduce((a, s) => a + s.delayMs, 0) / ctx.speed);
        }
        text = burst.text;
      }
      if (ctx.leaving()) return;
      let outcome: RunOutcome;
      if (session) {
        outcome = await session.run({ stdin: p.stdin }, { resultTimeoutMs: ctx.resultTimeoutMs, stopped: ctx.leaving });
        if (session.text !== text) metrics.protocolError('client_text_diverged', `${p.id}: local text differs from the planned program`);
      } else {
        outcome = await httpRun(ctx.baseUrl, ctx.protocol === 'rest' ? 'rest' : 'piston', ctx.apiKey, { language: p.language, dependencySet: p.dependencySet, text, stdin: p.stdin }, {
          resultTimeoutMs: ctx.resultTimeoutMs, stopped: ctx.leaving, rateLimited: () => metrics.rateLimited.add('run'),
        });
      }
      metrics.run(outcome, { ...label, expected: fixed ? 'ok' : p.expect });
      if (outcome.status === 'disconnected') return;
      await ctx.sleep((1000 * (ctx.thinkS[0] + rand() * (ctx.thinkS[1] - ctx.thinkS[0]))) / ctx.speed);
    }
  } catch (err) {
    metrics.userErrors.add((err as { code?: string }).code ?? (err as Error).message.slice(0, 80));
  } finally {
    session?.close();
    metrics.sittingsFinished++;
  }
}
