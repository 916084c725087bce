import { drain } from './drain';
import { deferred } from './test-fakes';

describe('drain (executor stop)', () => {
  it('stops fetching, waits for in-flight runs, then commits, checkpoints and leaves, in that order', async () => {
    const steps: string[] = [];
    const run = deferred();
    const draining = drain({
      stopFetching: () => void steps.push('stop fetching'),
      inFlight: () => [run.promise.then(() => void steps.push('run published'))],
      flushCommits: async () => void steps.push('commit'),
      checkpoint: async () => void steps.push('checkpoint'),
      leave: async () => void steps.push('leave'),
    });
    await new Promise((r) => setImmediate(r));
    expect(steps).toEqual(['stop fetching']);
    run.resolve();
    await draining;
    expect(steps).toEqual(['stop fetching', 'run published', 'commit', 'checkpoint', 'leave']);
  });
});
