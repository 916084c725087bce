import { cacheKey, LruIndex } from './compile-cache';

describe('LruIndex', () => {
  it('evicts the least recently used entries once over its byte bound', () => {
    const lru = new LruIndex(100);
    expect(lru.add('a', 40)).toEqual([]);
    expect(lru.add('b', 40)).toEqual([]);
    lru.touch('a');
    expect(lru.add('c', 40)).toEqual(['b']);
    expect([lru.has('a'), lru.has('b'), lru.has('c')]).toEqual([true, false, true]);
    expect(lru.bytes).toBe(80);
  });

  it('never evicts pinned entries or the one just added', () => {
    const lru = new LruIndex(50);
    lru.add('old', 40);
    expect(lru.add('big', 60, (k) => k === 'old')).toEqual([]);
    expect(lru.size).toBe(2);
    expect(lru.add('next', 10)).toEqual(['old', 'big']);
  });

  it('replaces an entry added twice instead of counting it twice', () => {
    const lru = new LruIndex(1000);
    lru.add('a', 10);
    lru.add('a', 30);
    expect([lru.size, lru.bytes]).toEqual([1, 30]);
  });
});

describe('cacheKey', () => {
  const base = { language: 'c++', version: '12', toolchain: 'g++', dependencySet: 'cpp-gcc12-std', hardwareClass: 'x86_64', flags: ['-O2'], files: [{ name: 'a.cpp', content: 'x' }, { name: 'b.h', content: 'y' }] };
  it('is stable under file order and changes with every input', () => {
    expect(cacheKey(base)).toBe(cacheKey({ ...base, files: [...base.files].reverse() }));
    const variants = [
      { ...base, flags: ['-O0'] },
      { ...base, hardwareClass: 'arm64' },
      { ...base, dependencySet: 'cpp-gcc12-fmt' },
      { ...base, toolchain: 'g++-13' },
      { ...base, files: [{ name: 'a.cpp', content: 'xy' }, { name: 'b.h', content: '' }] },
    ];
    const keys = new Set([cacheKey(base), ...variants.map(cacheKey)]);
    expect(keys.size).toBe(variants.length + 1);
  });
});
