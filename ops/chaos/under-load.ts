import { sleep } from '../../topics/ground/retry';
import { measure, type ChaosRow, type Fault } from './measure';
import { startPeople, type PeopleOptions, type PeopleReport } from './people';

/**
 * The frame of every chaos scenario: steady editor load starts, the first
 * answers arrive, `inject` strikes its faults (marking each), the load goes
 * on until a run sent after the last fault is answered, then the clients'
 * tallies become one row of the chaos table.
 */
export async function underLoad(
  o: { scenario: string; note?: string; recoveryTimeoutMs?: number; onReport?: (r: PeopleReport) => void } & PeopleOptions,
  inject: (mark: (what: string) => void) => Promise<void>,
): Promise<ChaosRow> {
  const people = startPeople(o);
  const faults: Fault[] = [];
  let report;
  try {
    await waitFor(() => people.runs.filter((r) => r.status === 'ok').length >= o.people, 120_000, 'first answers');
    await inject((what) => {
      faults.push({ at: Date.now(), what });
      o.onProgress?.(`fault: ${what}`);
    });
    const last = faults.at(-1)?.at ?? 0;
    await waitFor(() => people.runs.some((r) => r.acceptedAt > last && r.status === 'ok'), o.recoveryTimeoutMs ?? 180_000, 'good answer after the last fault');
  } finally {
    report = await people.stop();
  }
  o.onReport?.(report);
  return measure(o.scenario, report, faults, o.note);
}

export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) throw Object.assign(new Error(`chaos: no ${what} within ${timeoutMs} ms`), { code: 'chaos_timeout' });
    await sleep(200);
  }
}
