/* eslint-disable @typescript-eslint/no-require-imports */
describe('CONVEYOR_TOPIC_PREFIX', () => {
  const load = (prefix: string | undefined): typeof import('./catalog') => {
    const before = process.env.CONVEYOR_TOPIC_PREFIX;
    if (prefix === undefined) delete process.env.CONVEYOR_TOPIC_PREFIX;
    else process.env.CONVEYOR_TOPIC_PREFIX = prefix;
    let c: typeof import('./catalog') | undefined;
    jest.isolateModules(() => (c = require('./catalog')));
    if (before === undefined) delete process.env.CONVEYOR_TOPIC_PREFIX;
    else process.env.CONVEYOR_TOPIC_PREFIX = before;
    return c!;
  };

  it('prefixes every topic and every fixed consumer group, and unprefixed gives the catalog name back', () => {
    const c = load('ci-2.');
    expect(c.allTopics().map((t) => t.name).filter((n) => !n.startsWith('ci-2.'))).toEqual([]);
    expect(c.executorGroupId('x86_64')).toBe('ci-2.conveyor-executors-x86_64');
    expect(c.executorGroupId('arm64', 'replay.')).toBe('ci-2.conveyor-executors-replay-arm64');
    expect(c.namespaced(c.topics.results, 'replay.').name).toBe('replay.ci-2.runs.results');
    expect(c.unprefixed(c.topics.results.name)).toBe('runs.results');
  });

  it('leaves the names alone when unset', () => {
    const c = load(undefined);
    expect(c.topics.edits.name).toBe('editor.edits');
    expect(c.executorGroupId('x86_64')).toBe('conveyor-executors-x86_64');
  });

  it('refuses a prefix that is not dot-terminated words', () => {
    expect(() => load('Test')).toThrow(/CONVEYOR_TOPIC_PREFIX/);
  });
});
