import { MixError, DEFAULT_MIX, parseMix, parseProtocols, pickWeighted } from './mix';
import { seededRandom } from './stats';

describe('workload mix', () => {
  it('parses languages, aliases and dependency sets with weights', () => {
    expect(parseMix('python=50, C++=20,cpp-gcc12-fmt=2,python-3.11-sci=5,node=1')).toEqual([
      { key: 'python', weight: 50, language: 'python' },
      { key: 'c++', weight: 20, language: 'c++' },
      { key: 'cpp-gcc12-fmt', weight: 2, language: 'c++', dependencySet: 'cpp-gcc12-fmt' },
      { key: 'python-3.11-sci', weight: 5, language: 'python', dependencySet: 'python-3.11-sci' },
      { key: 'node', weight: 1, language: 'javascript' },
    ]);
  });

  it('accepts the default mix', () => {
    expect(parseMix(DEFAULT_MIX).length).toBeGreaterThan(5);
  });

  it('drops zero weights and refuses bad entries with a sentence naming them', () => {
    expect(parseMix('python=1,c=0').map((e) => e.key)).toEqual(['python']);
    expect(() => parseMix('cobol=3')).toThrow(/"cobol" is neither a language nor a dependency set/);
    expect(() => parseMix('python')).toThrow(MixError);
    expect(() => parseMix('python=-1')).toThrow(/NAME=WEIGHT/);
    expect(() => parseMix('python=1,python=2')).toThrow(/given twice/);
    expect(() => parseMix('python=0')).toThrow(/positive/);
    expect(() => parseMix('')).toThrow(/empty/);
  });

  it('parses the protocol mix', () => {
    expect(parseProtocols('ws=80,rest=10,piston=10').map((p) => p.key)).toEqual(['ws', 'rest', 'piston']);
    expect(() => parseProtocols('grpc=1')).toThrow(/not ws, rest or piston/);
  });

  it('picks in proportion to the weights', () => {
    const rand = seededRandom(7);
    const items = [{ k: 'a', weight: 3 }, { k: 'b', weight: 1 }];
    const n = 20000;
    let a = 0;
    for (let i = 0; i < n; i++) if (pickWeighted(items, rand).k === 'a') a++;
    expect(a / n).toBeCloseTo(0.75, 1);
  });
});
