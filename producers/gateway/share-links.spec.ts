import { hashToken, linkIdOf, tokenMatches, type LinkState } from './share-links';

const state: LinkState = {
  language: 'python', languageVersion: '3.11.2', dependencySet: 'python-3.11-std', hardwareClass: 'x86_64',
  files: [{ name: 'main.py', content: 'print(1)\n' }], stdin: '', args: [], compilerFlags: [],
};

describe('share link ids and tokens', () => {
  it('derives the same id from the same state, and another from any change', () => {
    expect(linkIdOf(state)).toBe(linkIdOf({ ...state, files: [{ ...state.files[0]! }] }));
    expect(linkIdOf(state)).toMatch(/^[A-Za-z0-9_-]{12}$/);
    const changed = [
      { ...state, languageVersion: '3.12.0' }, { ...state, stdin: 'x' }, { ...state, args: ['a'] }, { ...state, compilerFlags: ['-O2'] },
      { ...state, files: [{ name: 'main.py', content: 'print(2)\n' }] }, { ...state, files: [{ name: 'other.py', content: 'print(1)\n' }] },
    ];
    const ids = new Set([linkIdOf(state), ...changed.map(linkIdOf)]);
    expect(ids.size).toBe(changed.length + 1);
  });

  it('accepts any stored creator token and nothing else', () => {
    const hashes = [hashToken('first'), hashToken('second')];
    expect(tokenMatches('first', hashes)).toBe(true);
    expect(tokenMatches('second', hashes)).toBe(true);
    expect(tokenMatches('third', hashes)).toBe(false);
    expect(tokenMatches('', [])).toBe(false);
  });
});
