import { collabToken, isCollabToken } from './collab-token';

describe('collaboration tokens', () => {
  it('accepts the token made for a session under the same key, and nothing else', () => {
    const t = collabToken('key-one-0123456789', 's-1');
    expect(t).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(isCollabToken('key-one-0123456789', 's-1', t)).toBe(true);
    expect(isCollabToken('key-one-0123456789', 's-2', t)).toBe(false);
    expect(isCollabToken('key-two-0123456789', 's-1', t)).toBe(false);
    expect(isCollabToken('key-one-0123456789', 's-1', t.slice(1))).toBe(false);
  });
});
