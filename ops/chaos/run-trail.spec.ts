import { hopOf, type RunTrail } from './run-trail';

const request = { partition: 3, offset: 10, executorCommitted: 11, replyTo: 'gw-1' };
const result = { partition: 2, offset: 40, status: 'ok', executorId: 'e', replyTo: 'gw-1', repeated: false };
const trail = (t: Partial<Omit<RunTrail, 'hop' | 'runId'>>): Omit<RunTrail, 'hop'> => ({ runId: 'r', results: [], gateways: {}, ...t });

describe('hopOf', () => {
  it('names the last hop a run reached', () => {
    expect(hopOf(trail({}))).toBe('no request on the topic');
    expect(hopOf(trail({ request: { ...request, executorCommitted: 10 } }))).toBe('request on the topic, not taken');
    expect(hopOf(trail({ request: { ...request, executorCommitted: null } }))).toBe('request on the topic, not taken');
    expect(hopOf(trail({ request }))).toBe('taken, no result on the topic');
    expect(hopOf(trail({ request, results: [result], gateways: { 'conveyor-gateway-gw-1': 40 } }))).toBe('result on the topic, not read by its gateway');
    expect(hopOf(trail({ request, results: [result], gateways: { 'conveyor-gateway-gw-1': 41 } }))).toBe('result read by its gateway');
  });

  it('counts only the commits of the gateway the result is addressed to', () => {
    expect(hopOf(trail({ request, results: [result], gateways: { 'conveyor-gateway-gw-2': 99, 'conveyor-gateway-gw-1': null } }))).toBe('result on the topic, not read by its gateway');
  });
});
