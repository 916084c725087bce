import { AbortedError, retryUntilDone, sleep } from './retry';

describe('retryUntilDone', () => {
  it('retries a failing operation with growing delays until it succeeds', async () => {
    let calls = 0;
    const delays: number[] = [];
    const v = await retryUntilDone(
      async () => {
        if (++calls < 4) throw new Error(`down ${calls}`);
        return 'ok';
      },
      { initialMs: 1, maxMs: 8 },
      { onRetry: (_e, _a, d) => void delays.push(d) },
    );
    expect(v).toBe('ok');
    expect(calls).toBe(4);
    // 1, 2, 4 ms, each with ±25 % jitter.
    expect(delays.map((d, i) => d / 2 ** i).every((r) => r >= 0.75 && r <= 1.25)).toBe(true);
  });

  it('gives up at once on an error that is not retryable', async () => {
    let calls = 0;
    const refused = Object.assign(new Error('bad data'), { permanent: true });
    await expect(retryUntilDone(async () => { calls++; throw refused; }, { initialMs: 1, maxMs: 1 }, { retryable: (e) => !(e as { permanent?: boolean }).permanent })).rejects.toBe(refused);
    expect(calls).toBe(1);
  });

  it('throws the last error after the given number of attempts', async () => {
    let calls = 0;
    await expect(retryUntilDone(async () => { throw new Error(`down ${++calls}`); }, { initialMs: 1, maxMs: 1 }, { attempts: 3 })).rejects.toThrow('down 3');
    expect(calls).toBe(3);
  });

  it('stops retrying with AbortedError when its signal aborts', async () => {
    const ac = new AbortController();
    const p = retryUntilDone(async () => { throw new Error('down'); }, { initialMs: 60000, maxMs: 60000 }, { signal: ac.signal });
    setTimeout(() => ac.abort(), 10);
    await expect(p).rejects.toBeInstanceOf(AbortedError);
  });
});

describe('sleep', () => {
  it('waits the given time, or until its signal aborts', async () => {
    const t0 = Date.now();
    await sleep(20);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(15);
    const ac = new AbortController();
    const long = sleep(60000, ac.signal);
    ac.abort();
    await expect(long).resolves.toBeUndefined();
  });
});
