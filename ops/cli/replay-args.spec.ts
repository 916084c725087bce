import { ArgumentError, parseFraction, parseMoment, parsePositive, parseVersion } from './replay-args';

const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);

describe('replay arguments', () => {
  it('reads moments as ISO times, epoch milliseconds, HH:MM today and relative offsets', () => {
    expect(parseMoment('2026-12-01T10:42:00Z', NOW)).toBe(Date.UTC(2026, 11, 1, 10, 42));
    expect(parseMoment(String(NOW - 5), NOW)).toBe(NOW - 5);
    expect(parseMoment('10:42', NOW)).toBe(Date.UTC(2026, 11, 1, 10, 42));
    expect(parseMoment('-15m', NOW)).toBe(NOW - 15 * 60_000);
    expect(parseMoment('-2h', NOW)).toBe(NOW - 2 * 3_600_000);
  });

  it('refuses what is not a moment, a rate, a fraction or a version', () => {
    expect(() => parseMoment('yesterday', NOW)).toThrow(ArgumentError);
    expect(() => parseMoment('12', NOW)).toThrow(/not a moment/);
    expect(() => parsePositive('0', '--rate')).toThrow(/--rate/);
    expect(() => parseFraction('1.5', '--sample')).toThrow(/fraction/);
    expect(() => parseVersion('3.5')).toThrow(/whole number/);
    expect(parseFraction('0.25', '--sample')).toBe(0.25);
  });
});
