import fs from 'node:fs';
import path from 'node:path';
import { editBurst, replay, typeProgram, stepsDuration, chunks, HUMAN } from './edit-stream';
import { seededRandom } from './stats';
import { loadCorpus } from './corpus';

const corpus = loadCorpus();

describe('edit streams', () => {
  it('typing a program and replaying the ops yields the program exactly, for every program in the corpus', () => {
    for (const p of corpus) {
      const steps = typeProgram(p.text, seededRandom(p.text.length));
      expect(replay('', steps)).toBe(p.text);
    }
  });

  it('types at human speed: a word or a few characters per edit, with pauses', () => {
    const text = fs.readFileSync(path.join(__dirname, 'corpus', 'python', 'fizzbuzz.py'), 'utf8');
    const steps = typeProgram(text, seededRandom(1));
    const chars = steps.reduce((a, s) => a + s.ops.reduce((b, o) => b + o.insert.length, 0), 0);
    expect(steps.length).toBeGreaterThan(text.length / 8);
    expect(chars).toBeGreaterThanOrEqual(text.length);
    const cps = text.length / (stepsDuration(steps) / 1000);
    expect(cps).toBeGreaterThan(HUMAN.charsPerSecond / 3);
    expect(cps).toBeLessThan(HUMAN.charsPerSecond * 1.5);
  });

  it('keeps a newline and the next line\'s indentation in one chunk, as auto-indent does', () => {
    expect(chunks('if x:\n    y = 1\n', seededRandom(3)).filter((c) => c.startsWith('\n'))).toEqual(['\n    ', '\n']);
  });

  it('edits between runs replay to the text they report and keep the program\'s lines', () => {
    for (const p of corpus) {
      const rand = seededRandom(p.text.length + 7);
      let text = p.text;
      for (let i = 0; i < 15; i++) {
        const burst = editBurst(text, p.language, rand);
        expect(replay(text, burst.steps)).toBe(burst.text);
        expect(burst.steps.length).toBeGreaterThan(0);
        text = burst.text;
      }
      const code = (s: string) => s.split('\n').map((l) => l.trim()).filter((l) => l && !/^(#|\/\/) /.test(l));
      expect(code(text)).toEqual(code(p.text).filter((l) => !/^(#|\/\/) /.test(l)));
    }
  });

  it('applies a fix: the compile error a person corrects', () => {
    const broken = 'int main() {\n  int x = 1\n  return x;\n}\n';
    const { text } = editBurst(broken, 'c', seededRandom(5), { fix: { find: 'int x = 1\n', replace: 'int x = 1;\n' } });
    expect(text).toContain('int x = 1;\n');
  });
});
