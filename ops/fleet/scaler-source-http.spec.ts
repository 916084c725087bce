import { httpScalerSource } from './scaler-source-http';

const answer = (status: number, body: unknown): typeof fetch => (async () => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })) as typeof fetch;

describe('the scaler reading through the analytics service', () => {
  it('returns the usage of a minute, and undefined for a minute without runs', async () => {
    const usage = { minute: 100, runs: 3, cpuSeconds: 4.5, queueWaitP99Ms: 20 };
    expect(await httpScalerSource({ url: 'http://a', timeoutMs: 1000, fetch: answer(200, { usage }) }).usageMinute({ hardwareClass: 'x86_64', minute: 100 })).toEqual(usage);
    expect(await httpScalerSource({ url: 'http://a', timeoutMs: 1000, fetch: answer(200, { usage: null }) }).usageMinute({ hardwareClass: 'x86_64', minute: 100 })).toBeUndefined();
  });

  it('turns an error answer, a wrong shape and no answer into analytics_unavailable with a sentence', async () => {
    const q = { hardwareClasses: ['x86_64'], nowMinute: 100 };
    await expect(httpScalerSource({ url: 'http://a', timeoutMs: 1000, fetch: answer(503, { error: { code: 'warehouse_error', message: 'x' } }) }).refresh(q)).rejects.toMatchObject({ code: 'analytics_unavailable', message: expect.stringMatching(/503.*warehouse_error/) });
    await expect(httpScalerSource({ url: 'http://a', timeoutMs: 1000, fetch: answer(200, { issuedMinute: 100, classes: { x86_64: { runs: {} } } }) }).refresh(q)).rejects.toMatchObject({ code: 'analytics_unavailable', message: expect.stringMatching(/unexpected shape/) });
    const refused = (async () => {
      throw new TypeError('fetch failed');
    }) as typeof fetch;
    await expect(httpScalerSource({ url: 'http://a', timeoutMs: 1000, fetch: refused }).refresh(q)).rejects.toMatchObject({ code: 'analytics_unavailable', message: expect.stringMatching(/did not answer.*within 1000 ms/) });
  });
});
