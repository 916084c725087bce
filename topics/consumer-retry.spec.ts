import { CONSUMER_RETRY } from './consumer-retry';
import { CLIENT_RETRY } from './kafka';
import { loadKafkajs } from './kafkajs-internals';

/** kafkajs's own retrier (what its consumer runner and group retry with) and its production defaults. */
type Retrier = <T>(fn: () => Promise<T>) => Promise<T>;
const createRetry = loadKafkajs('kafkajs/src/retry') as (o: object) => Retrier;
const KAFKAJS_DEFAULTS = loadKafkajs('kafkajs/src/retry/defaults') as object;

/** Runs `retry` against a broker that refuses every request for `downMs` (fake time): how it ends and how many attempts it made. */
async function outage(policy: object, downMs: number): Promise<{ outcome: string; attempts: number; resumedAfterMs?: number }> {
  const retrier = createRetry(policy);
  const t0 = Date.now();
  let attempts = 0;
  let resumedAfterMs: number | undefined;
  const done = retrier(async () => {
    attempts++;
    if (Date.now() - t0 < downMs) throw Object.assign(new Error('Connection error: connect ECONNREFUSED'), { retriable: true });
    resumedAfterMs = Date.now() - t0 - downMs;
    return 'fetched';
  }).then((v) => v, (e: Error) => e.name);
  await jest.advanceTimersByTimeAsync(120_000);
  return { outcome: await done, attempts, ...(resumedAfterMs === undefined ? {} : { resumedAfterMs }) };
}

describe('the long-lived consumers retry policy', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('rides out a broker killed, fenced and restarted (10 s down) without crashing the consumer', async () => {
    expect(await outage(CONSUMER_RETRY, 10_000)).toMatchObject({ outcome: 'fetched' });
  });

  it('tries a broker that is back again within its 2 s cap (plus jitter), even after 20 s down', async () => {
    const r = await outage(CONSUMER_RETRY, 20_000);
    expect(r.outcome).toBe('fetched');
    expect(r.resumedAfterMs).toBeLessThanOrEqual(2000 * 1.2);
  });

  it('is needed: kafka.consumer() without it (its retries: 5 over the client policy) crashes on the same outage', async () => {
    expect(await outage({ ...KAFKAJS_DEFAULTS, ...CLIENT_RETRY, retries: 5 }, 10_000)).toMatchObject({ outcome: 'KafkaJSNumberOfRetriesExceeded' });
  });

  it('gives up after 14 retries of an outage that does not end, and then always asks kafkajs to restart the consumer', async () => {
    expect(await outage(CONSUMER_RETRY, Number.POSITIVE_INFINITY)).toEqual({ outcome: 'KafkaJSNumberOfRetriesExceeded', attempts: 15 });
    await expect(CONSUMER_RETRY.restartOnFailure()).resolves.toBe(true);
  });
});

describe('the client retry policy', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('is the production policy under jest too: it rides out a 6 s outage (at least 7 s of retries, whatever the jitter; kafkajs test defaults gave up after ~4 s)', async () => {
    // Under jest NODE_ENV is test, so kafkajs fills any field CLIENT_RETRY leaves out from its test defaults.
    expect(process.env.NODE_ENV).toBe('test');
    expect(await outage(CLIENT_RETRY, 6_000)).toMatchObject({ outcome: 'fetched' });
    expect(await outage({ ...KAFKAJS_DEFAULTS, ...CLIENT_RETRY }, 6_000)).toMatchObject({ outcome: 'fetched' });
  });

  it('gives up after its 8 retries of an outage that does not end', async () => {
    expect(await outage(CLIENT_RETRY, Number.POSITIVE_INFINITY)).toEqual({ outcome: 'KafkaJSNumberOfRetriesExceeded', attempts: 9 });
  });
});
