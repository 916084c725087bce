import { newClusterId } from './cluster-id';

describe('KRaft cluster id', () => {
  it('draws again an id that would start with "-" (an option to kafka-storage), and keeps 22 base64url characters', () => {
    // 0xf8 is 111110…: its first base64url character is "-" (index 62).
    const draws = [Buffer.alloc(16, 0xf8), Buffer.alloc(16, 0x41)];
    const id = newClusterId(() => draws.shift()!);
    expect(draws).toHaveLength(0);
    expect(id).toBe(Buffer.alloc(16, 0x41).toString('base64url'));
    expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
  });

  it('never starts with "-" over many random ids', () => {
    for (let i = 0; i < 2000; i++) expect(newClusterId().startsWith('-')).toBe(false);
  });
});
