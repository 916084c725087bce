import { retryAfterSeconds } from './editor-session';
import { pistonStatus } from './http-runs';
import { parseRange } from './runner';

describe('reading the gateway and the command line', () => {
  it('reads the seconds to wait from a rate_limited message', () => {
    expect(retryAfterSeconds('Too many run requests; try again in 3 s.')).toBe(3);
    expect(retryAfterSeconds('something else')).toBe(1);
  });

  it('maps Piston answers to Conveyor statuses', () => {
    expect(pistonStatus({ run: { code: 0, status: null, stderr: '' } })).toBe('ok');
    expect(pistonStatus({ compile: { code: 1, status: 'RE', stderr: 'error' } })).toBe('compile_error');
    expect(pistonStatus({ compile: { code: 0, status: null, stderr: '' }, run: { code: 1, status: 'RE', stderr: '' } })).toBe('runtime_error');
    expect(pistonStatus({ run: { code: null, status: 'TO', stderr: '' } })).toBe('time_limit');
  });

  it('parses N and MIN-MAX ranges and refuses reversed ones', () => {
    expect(parseRange('10-20', '--runs')).toEqual([10, 20]);
    expect(parseRange('5', '--runs')).toEqual([5, 5]);
    expect(() => parseRange('20-10', '--runs')).toThrow(/below/);
    expect(() => parseRange('a-b', '--think')).toThrow(/--think must be N or MIN-MAX/);
  });
});
