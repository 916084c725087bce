import { createRateLimiter } from './rate-limiter';

describe('rate limiter', () => {
  it('allows a burst, then refuses with a Retry-After, then refills over time', () => {
    let t = 0;
    const rl = createRateLimiter(() => t);
    for (let i = 0; i < 3; i++) rl.take('alice', 'runs', 1, 3);
    expect(() => rl.take('alice', 'runs', 1, 3)).toThrow(expect.objectContaining({ status: 429, code: 'rate_limited', retryAfterS: 1 }));
    rl.take('bob', 'runs', 1, 3);
    t = 1000;
    expect(() => rl.take('alice', 'runs', 1, 3)).not.toThrow();
  });
});
