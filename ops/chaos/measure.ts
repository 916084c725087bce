import { quantile } from '../load/stats';
import type { PeopleReport, RunRecord } from './people';

/**
 * One row of the chaos table, from what the clients saw (ops/chaos/people.ts)
 * and when each fault struck: runs lost (accepted, never answered),
 * duplicates (a second result for one run id), acknowledged edits lost (an
 * answer whose output lacks an acknowledged line), runs answered with an
 * error, the time from a fault to the first good answer of a run sent after
 * it, and the p99 time to answer the runs the faults touched.
 */
export interface Fault { at: number; what: string }

export interface ChaosRow {
  scenario: string;
  faults: number;
  runs: number;
  runsLost: number;
  duplicates: number;
  editsLost: number;
  /** Answered, but not ok (internal_error…): not lost, and counted honestly. */
  failed: number;
  refused: number;
  /** Worst over the faults: fault → first ok answer of a run accepted after it. */
  recoveryMs: number | null;
  /** p99 of accept → answer over the runs in flight at a fault or accepted before it recovered. */
  affectedP99Ms: number | null;
  affectedRuns: number;
  /** Connections the clients opened again (a gateway died). */
  reconnects?: number;
  /** Edits that got no acknowledgement and no error within the deadline. */
  editsUnanswered?: number;
  note?: string;
  /** The run ids of the lost runs, so a scenario can say where each stopped (run-trail.ts). */
  lostRunIds?: string[];
}

export function measure(scenario: string, report: PeopleReport, faults: Fault[], note?: string): ChaosRow {
  const runs = report.runs;
  const answered = (r: RunRecord) => r.answeredAt !== undefined;
  const recoveries = faults.map((f) => {
    const first = runs.filter((r) => r.acceptedAt >= f.at && r.status === 'ok' && !r.lostEdits).reduce<number | null>((m, r) => (m === null || r.answeredAt! < m ? r.answeredAt! : m), null);
    return { f, ms: first === null ? null : first - f.at };
  });
  const affected = new Set<RunRecord>();
  for (const { f, ms } of recoveries) {
    const end = ms === null ? Infinity : f.at + ms;
    for (const r of runs) {
      const inFlight = r.acceptedAt <= f.at && (!answered(r) || r.answeredAt! > f.at);
      if (inFlight || (r.acceptedAt >= f.at && r.acceptedAt <= end)) affected.add(r);
    }
  }
  const times = [...affected].filter(answered).map((r) => r.answeredAt! - r.acceptedAt).sort((a, b) => a - b);
  const recoveryMs = recoveries.some((r) => r.ms === null) ? null : recoveries.reduce((m, r) => Math.max(m, r.ms!), 0);
  const lost = runs.filter((r) => !answered(r));
  return {
    scenario,
    faults: faults.length,
    runs: runs.length,
    runsLost: lost.length,
    duplicates: report.duplicates,
    editsLost: runs.filter((r) => r.lostEdits).length,
    failed: runs.filter((r) => answered(r) && r.status !== 'ok').length,
    refused: Object.values(report.refused).reduce((a, b) => a + b, 0),
    recoveryMs: faults.length ? recoveryMs : null,
    affectedP99Ms: times.length ? quantile(times, 0.99) : null,
    affectedRuns: affected.size,
    reconnects: report.reconnects,
    editsUnanswered: report.editsUnanswered,
    note: report.editsUnanswered ? `${note ?? ''}; ${report.editsUnanswered} edits unanswered` : note,
    ...(lost.length ? { lostRunIds: lost.map((r) => r.runId) } : {}),
  };
}

export const CHAOS_COLUMNS = ['scenario', 'faults', 'runs', 'runs lost', 'duplicates', 'ack. edits lost', 'answered with error', 'refused', 'recovery s', 'affected runs', 'p99 answer s (affected)', 'note'];

export function chaosRowCells(r: ChaosRow): (string | number)[] {
  const s = (ms: number | null) => (ms === null ? 'never' : (ms / 1000).toFixed(1));
  return [r.scenario, r.faults, r.runs, r.runsLost, r.duplicates, r.editsLost, r.failed, r.refused, r.faults ? s(r.recoveryMs) : '-', r.affectedRuns, r.affectedP99Ms === null ? '-' : s(r.affectedP99Ms), r.note ?? ''];
}
