import { parseAgainst } from '../replay/runs';
import type { RunRequest } from '../../topics/types';
import { resolveSwitch, runtimeVersionRows } from './versions';

const req = (language: string, languageVersion: string, dependencySet: string) => ({ language, languageVersion, dependencySet }) as RunRequest;

describe('runtime versions', () => {
  it('lists every version with the current one marked: the table\'s first, or the one switched to', () => {
    const none = () => null;
    const before = runtimeVersionRows([], none).filter((r) => r.language === 'javascript');
    expect(before.map((r) => [r.version, r.current])).toEqual([['20.20.2', true], ['22.23.5', false]]);
    const after = runtimeVersionRows([{ language: 'javascript', version: '22.23.5', setBy: 'ops', setAtMs: 0 }], none).filter((r) => r.language === 'javascript');
    expect(after.map((r) => [r.version, r.current, r.setBy])).toEqual([['20.20.2', false, null], ['22.23.5', true, 'ops at 1970-01-01T00:00:00.000Z']]);
    expect(runtimeVersionRows([], none).filter((r) => r.current).map((r) => r.language)).toEqual(['c', 'c++', 'python', 'javascript', 'typescript', 'go', 'rust', 'java']);
  });

  it('switches only to a version of the table, with a code and a sentence otherwise', () => {
    expect(resolveSwitch('node', '22').version).toBe('22.23.5');
    expect(() => resolveSwitch('cobol', '1')).toThrow(expect.objectContaining({ code: 'unknown_language' }));
    expect(() => resolveSwitch('javascript', '21')).toThrow(expect.objectContaining({ code: 'unknown_version', message: expect.stringContaining('20.20.2, 22.23.5') }));
  });

  it('replays against a version with that toolchain and its dependency set, other languages on their own', () => {
    const { target, label } = parseAgainst('22.23.5');
    expect(label).toContain('javascript 22.23.5');
    expect(target.toolchainOf!(req('javascript', '20.20.2', 'javascript-node20-std'))).toEqual({ languageVersion: '22.23.5', dependencySet: 'javascript-node22-std' });
    expect(target.toolchainOf!(req('python', '3.11.2', 'python-3.11-std'))).toBeUndefined();
    expect(() => parseAgainst('9.9.9')).toThrow(expect.objectContaining({ code: 'invalid_against' }));
  });
});
