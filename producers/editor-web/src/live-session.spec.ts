import { diffOp } from './rebase';

/** Applies one protocol op the way the session buffers do (UTF-16 offsets). */
const apply = (text: string, op: { offset: number; deleteCount: number; insert: string }) => text.slice(0, op.offset) + op.insert + text.slice(op.offset + op.deleteCount);

describe('the edit the page sends for a change', () => {
  it('is the smallest replacement between the acknowledged text and the text now', () => {
    expect(diffOp('main.py', 'print(1)\n', 'print(12)\n')).toEqual({ file: 'main.py', offset: 7, deleteCount: 0, insert: '2' });
    expect(diffOp('main.py', 'abcdef', 'abef')).toEqual({ file: 'main.py', offset: 2, deleteCount: 2, insert: '' });
    expect(diffOp('main.py', 'same', 'same')).toBeNull();
  });

  it('turns the old text into the new one for any pair, including repeated characters and surrogate pairs', () => {
    const pairs: [string, string][] = [['aaaa', 'aaaaa'], ['abab', 'ab'], ['', 'x'], ['x', ''], ['héllo 😀 w', 'héllo 😃 w'], ['line\nline\n', 'line\n\nline\n']];
    for (const [a, b] of pairs) expect(apply(a, diffOp('f', a, b)!)).toBe(b);
  });
});
