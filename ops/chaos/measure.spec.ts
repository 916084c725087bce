import { measure } from './measure';
import type { PeopleReport, RunRecord } from './people';

const run = (acceptedAt: number, answeredAt?: number, status = 'ok', lostEdits = false): RunRecord => ({ person: 0, runId: `r${acceptedAt}`, acceptedAt, answeredAt, status: answeredAt === undefined ? undefined : status, lostEdits });
const report = (runs: RunRecord[], duplicates = 0): PeopleReport => ({ runs, editsAcked: runs.length, editsUnanswered: 0, duplicates, refused: { queue_full: 2 }, reconnects: 0 });

describe('measure', () => {
  it('counts unanswered runs as lost, wrong outputs as lost edits and error answers as failed', () => {
    const row = measure('x', report([run(0, 10), run(5), run(6, 20, 'ok', true), run(7, 30, 'internal_error')], 1), []);
    expect(row).toMatchObject({ runs: 4, runsLost: 1, editsLost: 1, failed: 1, duplicates: 1, refused: 2, recoveryMs: null });
  });

  it('measures recovery from the fault to the first good answer of a run accepted after it, and the p99 of the runs it touched', () => {
    const runs = [run(0, 50), run(90, 5000), run(100, 3000, 'internal_error'), run(200, 2500), run(4000, 4100)];
    const row = measure('x', report(runs), [{ at: 100, what: 'kill' }]);
    // First ok answer of a run accepted at or after 100: the one accepted at 200, answered at 2500.
    expect(row.recoveryMs).toBe(2400);
    // In flight at 100: the run accepted at 90; accepted in [100, 2500]: two more. Not the first, nor the one at 4000.
    expect(row.affectedRuns).toBe(3);
    expect(row.affectedP99Ms).toBe(4910);
  });

  it('says a fault never recovered when no run after it was answered ok', () => {
    const row = measure('x', report([run(0, 10), run(200)]), [{ at: 100, what: 'kill' }]);
    expect(row.recoveryMs).toBeNull();
    expect(row.runsLost).toBe(1);
  });
});
