import { randInt } from './stats';

/**
 * Turns programs into what a person's editor sends: small inserts as they
 * type (a word or a few characters per message, as editors batch keystrokes),
 * typos fixed with backspace, auto-indent after a newline, pauses at the ends
 * of lines, and edit bursts between runs. Delays are human time (ms); the
 * load generator divides them by its --speed.
 */
export interface EditOp { offset: number; deleteCount: number; insert: string }
export interface EditStep { delayMs: number; ops: EditOp[] }

export interface HumanModel {
  /** Typing speed in characters per second. */
  charsPerSecond: number;
  /** Extra pause at the end of a line, ms. */
  linePauseMs: number;
  /** Chance per typed chunk of a typo corrected with backspace. */
  typoRate: number;
  /** Chance per line of stopping to think, and for how long, ms. */
  thinkRate: number;
  thinkMs: number;
}

export const HUMAN: HumanModel = { charsPerSecond: 6, linePauseMs: 700, typoRate: 0.04, thinkRate: 0.08, thinkMs: 6000 };

export function applyOp(text: string, op: EditOp): string {
  if (op.offset < 0 || op.deleteCount < 0 || op.offset + op.deleteCount > text.length) {
    throw new Error(`op at ${op.offset} deleting ${op.deleteCount} is outside a text of length ${text.length}`);
  }
  return text.slice(0, op.offset) + op.insert + text.slice(op.offset + op.deleteCount);
}

/** Applies the steps' ops in order; what the server does with the edit messages. */
export function replay(text: string, steps: readonly EditStep[]): string {
  let t = text;
  for (const s of steps) for (const op of s.ops) t = applyOp(t, op);
  return t;
}

const jitter = (rand: () => number, ms: number) => ms * (0.6 + 0.8 * rand());

/** Pieces a person types in one go: a word, a run of symbols, or a newline with the next line's indentation. */
export function chunks(text: string, rand: () => number): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] === '\n') {
      let j = i + 1;
      while (j < text.length && (text[j] === ' ' || text[j] === '\t')) j++; // auto-indent arrives with the newline
      out.push(text.slice(i, j));
      i = j;
      continue;
    }
    const max = randInt(rand, 2, 7);
    let j = i + 1;
    while (j < text.length && j - i < max && text[j] !== '\n' && !(text[j - 1] === ' ' && text[j] !== ' ')) j++;
    out.push(text.slice(i, j));
    i = j;
  }
  return out;
}

const TYPO_KEYS = 'asdfghjklqwertyuiop;,.';

/** Steps that type `text` at `at` into a document (whatever surrounds it is untouched). */
export function typeText(at: number, text: string, rand: () => number, model: HumanModel = HUMAN): EditStep[] {
  const steps: EditStep[] = [];
  const perChar = 1000 / model.charsPerSecond;
  let pos = at;
  for (const piece of chunks(text, rand)) {
    let delay = jitter(rand, piece.replace(/^\n[ \t]*/, '\n').length * perChar);
    if (piece.startsWith('\n')) {
      delay += jitter(rand, model.linePauseMs);
      if (rand() < model.thinkRate) delay += jitter(rand, model.thinkMs);
    }
    if (piece.length > 1 && !piece.startsWith('\n') && rand() < model.typoRate) {
      const cut = randInt(rand, 1, piece.length - 1);
      const wrong = TYPO_KEYS[Math.floor(rand() * TYPO_KEYS.length)]!;
      steps.push({ delayMs: delay, ops: [{ offset: pos, deleteCount: 0, insert: piece.slice(0, cut) + wrong }] });
      steps.push({ delayMs: jitter(rand, 400), ops: [{ offset: pos + cut, deleteCount: 1, insert: '' }] });
      steps.push({ delayMs: jitter(rand, (piece.length - cut) * perChar), ops: [{ offset: pos + cut, deleteCount: 0, insert: piece.slice(cut) }] });
    } else {
      steps.push({ delayMs: delay, ops: [{ offset: pos, deleteCount: 0, insert: piece }] });
    }
    pos += piece.length;
  }
  return steps;
}

/** Typing a whole program into an empty editor. */
export function typeProgram(program: string, rand: () => number, model: HumanModel = HUMAN): EditStep[] {
  return typeText(0, program, rand, model);
}

export const commentPrefix = (language: string) => (language === 'python' ? '#' : '//');
const NOTES = ['TODO: check the edge cases', 'try a bigger input', 'faster?', 'debug', 'note: off by one here?', 'keep this simple', 'works now', 'see the output'];

/** Start offsets of lines where a new line may be inserted without changing what the program means. */
function safeLineStarts(text: string): number[] {
  const starts: number[] = [];
  let prevEnd = '';
  let offset = 0;
  for (const line of text.split('\n')) {
    if (offset > 0 && !prevEnd.endsWith('\\')) starts.push(offset);
    prevEnd = line.trimEnd();
    offset += line.length + 1;
  }
  return starts;
}

export interface Fix { find: string; replace: string }

/**
 * What a person does between two runs: adds or removes a comment line,
 * retypes the end of a line, or applies a fix (a compile error they correct).
 * The program keeps its meaning unless a fix is given. Returns the steps and
 * the text they produce.
 */
export function editBurst(text: string, language: string, rand: () => number, opts: { fix?: Fix; model?: HumanModel } = {}): { steps: EditStep[]; text: string } {
  const model = opts.model ?? HUMAN;
  const steps: EditStep[] = [];
  let t = text;
  const push = (s: EditStep[]) => {
    steps.push(...s);
    t = replay(t, s);
  };
  if (opts.fix && t.includes(opts.fix.find)) {
    const at = t.indexOf(opts.fix.find);
    push([{ delayMs: jitter(rand, 3000), ops: [{ offset: at, deleteCount: opts.fix.find.length, insert: '' }] }]);
    push(typeText(at, opts.fix.replace, rand, model));
  }
  const prefix = commentPrefix(language);
  const actions = randInt(rand, 1, 3);
  for (let a = 0; a < actions; a++) {
    const roll = rand();
    const lines = t.split('\n');
    const ours = lines.map((l, i) => ({ l, i })).filter(({ l }) => NOTES.some((n) => l.trim() === `${prefix} ${n}`));
    if (roll < 0.3 && ours.length) {
      const { i } = ours[Math.floor(rand() * ours.length)]!;
      const offset = lines.slice(0, i).reduce((n, l) => n + l.length + 1, 0);
      push([{ delayMs: jitter(rand, 1500), ops: [{ offset, deleteCount: lines[i]!.length + 1, insert: '' }] }]);
    } else if (roll < 0.65) {
      const starts = safeLineStarts(t);
      if (!starts.length) continue;
      const at = starts[Math.floor(rand() * starts.length)]!;
      const indent = /^[ \t]*/.exec(t.slice(at))![0];
      const note = NOTES[Math.floor(rand() * NOTES.length)]!;
      push([{ delayMs: jitter(rand, 2000), ops: [{ offset: at, deleteCount: 0, insert: `${indent}\n` }] }]);
      push(typeText(at + indent.length, `${prefix} ${note}`, rand, model));
    } else {
      // Retype the end of a line: backspace over it, then type it again.
      const candidates = lines.map((l, i) => ({ l, i })).filter(({ l }) => l.trim().length >= 4);
      if (!candidates.length) continue;
      const { l, i } = candidates[Math.floor(rand() * candidates.length)]!;
      const lineStart = lines.slice(0, i).reduce((n, x) => n + x.length + 1, 0);
      const k = randInt(rand, 1, Math.min(24, l.trimStart().length));
      const end = lineStart + l.length;
      const tail = l.slice(l.length - k);
      const back: EditStep[] = [];
      for (let left = k; left > 0; ) {
        const n = Math.min(left, randInt(rand, 1, 4));
        back.push({ delayMs: jitter(rand, n * 90), ops: [{ offset: end - (k - left) - n, deleteCount: n, insert: '' }] });
        left -= n;
      }
      push(back);
      push(typeText(end - k, tail, rand, model));
    }
  }
  return { steps, text: t };
}

/** Human time the steps take, ms. */
export const stepsDuration = (steps: readonly EditStep[]) => steps.reduce((a, s) => a + s.delayMs, 0);
