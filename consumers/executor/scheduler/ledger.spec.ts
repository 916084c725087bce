import { expectedStarts } from './ledger';

describe('expected starts', () => {
  it('puts each queued run on the slot that frees first', () => {
    const order = [{ runId: 'a', costMs: 100 }, { runId: 'b', costMs: 50 }, { runId: 'c', costMs: 10 }];
    expect(expectedStarts(order, [30, 200], 2, 1000).map((p) => p.expectedStartMs)).toEqual([1030, 1130, 1180]);
    expect(expectedStarts(order, [], 2, 0).map((p) => [p.position, p.expectedStartMs])).toEqual([[1, 0], [2, 0], [3, 50]]);
  });
});
