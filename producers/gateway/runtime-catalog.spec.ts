import { runtimeInfos } from '../../runtimes/languages';
import { LIMITS } from '../../runtimes/limits';
import { createCatalog } from './runtime-catalog';

describe('runtime catalog with several versions of a language', () => {
  it('gives new sessions the table\'s first version until one is switched to, then that one', () => {
    let switched: string | undefined;
    const catalog = createCatalog(runtimeInfos(), LIMITS, (l) => (l === 'javascript' ? switched : undefined));
    expect(catalog.resolve('node').version).toBe('20.20.2');
    expect(catalog.currentVersion('js')).toBe('20.20.2');
    switched = '22.23.5';
    expect(catalog.resolve('javascript')).toMatchObject({ version: '22.23.5', dependencySet: 'javascript-node22-std' });
    expect(catalog.currentVersion('javascript')).toBe('22.23.5');
    // A version no longer in the table is ignored: the first one again.
    switched = '18.0.0';
    expect(catalog.resolve('javascript').version).toBe('20.20.2');
  });

  it('keeps an asked version and a resumed session\'s dependency set on their own toolchain', () => {
    const catalog = createCatalog(runtimeInfos(), LIMITS, () => '22.23.5');
    expect(catalog.resolve('javascript', '20').version).toBe('20.20.2');
    expect(catalog.resolve('javascript', '20.20.2').dependencySet).toBe('javascript-node20-std');
    expect(catalog.resolve('javascript', undefined, 'javascript-node20-std').version).toBe('20.20.2');
    expect(catalog.resolve('javascript', '22').version).toBe('22.23.5');
  });

  it('refuses a version the table does not have, naming the ones it has', () => {
    const catalog = createCatalog(runtimeInfos(), LIMITS);
    expect(() => catalog.resolve('javascript', '2')).toThrow(expect.objectContaining({ code: 'unknown_version', message: expect.stringContaining('20.20.2, 22.23.5') }));
  });
});
