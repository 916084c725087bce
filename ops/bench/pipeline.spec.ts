import type { RunOutcome } from '../load/editor-session';
import { hopSplit, openCasesFor, parseOpenRates } from './pipeline';

// A run sent at `sent` whose request waited `queue` ms for the executor, ran 4 ms (3 in the sandbox) and came back in 2.
const run = (sent: number, queue: number): RunOutcome => {
  const requestedAtMs = sent + 1, startedAtMs = requestedAtMs + queue, finishedAtMs = startedAtMs + 4, receivedAtMs = finishedAtMs + 2;
  return {
    status: 'ok', latencyMs: receivedAtMs - sent, acceptMs: 1, sentAtMs: sent, receivedAtMs,
    result: { runId: `r${sent}`, status: 'ok', message: null, compile: null, run: { status: 'ok', wallMs: 3, cpuMs: 2, stdout: '', stderr: '' }, cacheHit: false, pooled: true, requestedAtMs, startedAtMs, finishedAtMs, queueWaitMs: queue, totalMs: queue + 4 },
  };
};

describe('hopSplit', () => {
  it('splits the slowest 1% by hop, apart from all the runs', () => {
    const outs = Array.from({ length: 200 }, (_, i) => run(i * 10, i === 17 || i === 120 ? 300 : 2));
    const [all, slow] = hopSplit('150 runs/s offered', outs);
    expect(all).toEqual(['150 runs/s offered', 'all', 200, 9, 1, 2, 4, 3, 2]);
    // The two runs that waited 300 ms in the queue are the slowest 1%, and the queue is where their time went.
    expect(slow).toEqual(['150 runs/s offered', 'slowest 1%', 2, 307, 1, 300, 4, 3, 2]);
  });

  it('has at least one run in the slowest share, and nothing for no runs', () => {
    expect(hopSplit('x', [run(0, 5)])[1]![2]).toBe(1);
    expect(hopSplit('x', [])).toEqual([]);
  });
});

describe('the open loop\'s offered rates', () => {
  it('by default offers half and 80% of the closed loop, and the goal\'s 150 runs/s when the closed loop reached at least 75', () => {
    expect(openCasesFor(200)).toEqual([{ label: '50%', rate: 100 }, { label: '80%', rate: 160 }, { label: 'goal 150 runs/s (75%)', rate: 150 }]);
    expect(openCasesFor(100).map((c) => c.rate)).toEqual([50, 80, 150]);
    expect(openCasesFor(60).map((c) => c.rate)).toEqual([30, 48]);
    expect(openCasesFor(0)).toEqual([]);
  });

  it('offers exactly the fixed rates when given, whatever the closed loop reached', () => {
    expect(openCasesFor(200, [60, 150])).toEqual([{ label: 'fixed (30%)', rate: 60 }, { label: 'fixed (75%)', rate: 150 }]);
    expect(openCasesFor(0, [150])).toEqual([{ label: 'fixed', rate: 150 }]);
  });

  it('reads --open-rates, and refuses a list it cannot offer with a code and a sentence', () => {
    expect(parseOpenRates('60, 100,150')).toEqual([60, 100, 150]);
    for (const bad of ['', 'fast', '0', '150,-3', '20000', '1,2,3,4,5,6,7,8,9']) {
      expect(() => parseOpenRates(bad)).toThrow(expect.objectContaining({ code: 'invalid_argument', message: expect.stringContaining('--open-rates must be') }));
    }
  });
});
