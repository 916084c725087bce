import { createFetchRest } from './fetch-rest';

const settles = async (p: Promise<void> | undefined, ms: number) =>
  p === undefined ? 'at once' : Promise.race([p.then(() => 'settled'), new Promise((r) => setTimeout(() => r('pending'), ms))]);

describe('fetch rest', () => {
  it('never rests while no run is queued: a request is fetched as soon as the broker has it', () => {
    const rest = createFetchRest({ restMs: 1000, queued: () => 0 });
    rest.fetched();
    expect(rest.rest()).toBeUndefined();
  });

  it('rests once per fetch while runs are queued, until restMs passed', async () => {
    let queued = 3;
    const rest = createFetchRest({ restMs: 40, queued: () => queued });
    rest.fetched();
    const first = rest.rest();
    expect(first).toBeInstanceOf(Promise);
    // The fetch's other requests are taken without a second rest.
    expect(rest.rest()).toBeUndefined();
    expect(await settles(first, 10)).toBe('pending');
    expect(await settles(first, 100)).toBe('settled');
    expect(rest.rest()).toBeUndefined();
    rest.fetched();
    expect(rest.rest()).toBeInstanceOf(Promise);
    queued = 0;
  });

  it('ends a rest as soon as the queue is empty', async () => {
    let queued = 1;
    const rest = createFetchRest({ restMs: 60000, queued: () => queued });
    rest.fetched();
    const r = rest.rest();
    rest.changed();
    expect(await settles(r, 10)).toBe('pending');
    queued = 0;
    rest.changed();
    expect(await settles(r, 10)).toBe('settled');
  });

  it('ends a rest when the executor stops, queue or not', async () => {
    const rest = createFetchRest({ restMs: 60000, queued: () => 5 });
    rest.fetched();
    const r = rest.rest();
    rest.changed(true);
    expect(await settles(r, 10)).toBe('settled');
  });
});
