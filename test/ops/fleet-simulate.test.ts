import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { generateTrace } from '../../ops/fleet/simulate/trace';
import type { validateOverTraces } from '../../ops/fleet/simulate/validate';
import { simulate } from '../../ops/fleet/simulate/run';

/** Minutes in a listed run of missed minutes: "x86_64 2026-11-24 11:00–11:04" is 5, "arm64 2026-11-16 23:12" is 1. */
function minutesIn(run: string): number {
  const m = /(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2})(?:–(\d{2}:\d{2}))?$/.exec(run);
  if (!m) throw new Error(`not a run of minutes: ${run}`);
  if (!m[3]) return 1;
  const at = (hm: string) => Date.parse(`${m[1]}T${hm}:00Z`) / 60000;
  return at(m[3]) - at(m[2]!) + 1;
}

describe('fleet simulation model', () => {
  // The minute model against a run-by-run discrete-event simulation at 1/100 of the seed scale (22 runs/s at peak) on
  // the afternoon ramp and evening peak, capacity 1–5 and 10 minutes late; figures are the mean over traces 1–4, each
  // replayed run by run with seeds 1–6, a random stream of its own per trace and seed (one trace's light-queueing
  // figures move by tens of % with its draws, and 3 seeds left ±5% of noise 3–4 minutes late). The goal, 10% on
  // every figure at every lag, is met (decision doc, "Session 11, later"). Measured: mean wait +4.1%, +4.2%, +8.7%,
  // +6.5%, +2.1%, +0.3%; p99 +1.1%, +5.6%, +6.8%, +6.0%, +3.9%, +5.8%; share over 1 s −9.6%, −5.3%, −0.9%, −0.5%,
  // −3.2%, −0.1% (1–5 and 10 minutes late).
  const tolerance: Record<number, Record<'meanWait' | 'p99' | 'shareOver1s', number>> = {
    1: { meanWait: 0.1, p99: 0.1, shareOver1s: 0.1 },
    2: { meanWait: 0.1, p99: 0.1, shareOver1s: 0.1 },
    3: { meanWait: 0.1, p99: 0.1, shareOver1s: 0.1 },
    4: { meanWait: 0.1, p99: 0.1, shareOver1s: 0.1 },
    5: { meanWait: 0.1, p99: 0.1, shareOver1s: 0.1 },
    10: { meanWait: 0.1, p99: 0.1, shareOver1s: 0.1 },
  };
  // Run out of process through tsx: under jest's module sandbox the same loops run ~6× slower (~5 min instead of ~1).
  let byLag: Record<number, ReturnType<typeof validateOverTraces>>;
  beforeAll(() => {
    byLag = JSON.parse(execFileSync('node', ['--import', 'tsx', 'ops/fleet/simulate/validate-study.ts', 'fluid', '1,2,3,4', '1,2,3,4,5,6', '--json'], { encoding: 'utf8', timeout: 600_000, maxBuffer: 16 << 20 }));
  }, 600_000);
  it.each([1, 2, 3, 4, 5, 10])('agrees with the mean run-by-run waits (mean, p99, share over 1 s), capacity %i minutes late', (lag) => {
    const r = byLag[lag]!;
    // The lag builds queues: light at 1 minute late, a third of the runs over 1 s at 10.
    if (lag === 1) expect(r.runByRun.shareOver1s).toBeGreaterThan(0.01);
    if (lag === 1) expect(r.runByRun.shareOver1s).toBeLessThan(0.05);
    if (lag === 10) expect(r.runByRun.shareOver1s).toBeGreaterThan(0.3);
    for (const k of ['meanWait', 'p99', 'shareOver1s'] as const) expect(Math.abs(r.model[k] / r.runByRun[k] - 1)).toBeLessThan(tolerance[lag]![k]);
  });

  it('answers a surprise spike once its first minute is seen: no minute is missed after the first machines asked for are ready', () => {
    // The seed scale (at 1/20 a 64-core machine is a large step and the queue drains at once either way), two days of
    // history and a third with the +60% spike at 11:00; machines boot in 3 minutes. Sized on the last minute's arrivals
    // and today's backlog alone, the scaler missed 11:00–11:06 here (x86_64).
    const trace = generateTrace({ days: 3, holidayDay: -1, spikeDay: 2 });
    const r = simulate(trace, { historyDays: 2, refitMinutes: 240, reactiveTargets: [0.6] });
    const by = Object.fromEntries(r.policies.map((p) => [p.policy, p]));
    const spike = trace.events.find((e) => e.label.startsWith('surprise'))!.minute;
    // The spike's first minute is seen at 11:01, the machines asked for then are ready at 11:04; its queue is drained
    // by 11:05: every missed minute of the spike lies in 11:00–11:04.
    const inSpike = by.conveyor!.missedMinutes.filter((x) => x.includes(new Date(spike * 60000).toISOString().slice(0, 10) + ' 11:'));
    expect(inSpike.length).toBeGreaterThan(0); // the spike does miss its first minutes: no forecast saw it
    for (const x of inSpike) expect(x.slice(-5) <= '11:04').toBe(true);
    expect(by.oracle!.minutesOverObjective).toBe(0);
  });

  it('runs `fleet simulate` on a CSV trace and prints every policy with the goals as JSON', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conveyor-sim-'));
    const csv = path.join(dir, 'trace.csv');
    const t = generateTrace({ days: 3, scale: 0.02, holidayDay: -1, spikeDay: -1 });
    const lines = ['minute,hardware_class,runs,cpu_seconds'];
    for (const [hw, c] of Object.entries(t.classes)) for (let i = 0; i < t.minutes; i++) lines.push(`${t.start + i},${hw},${c.runs[i]},${c.cpuSeconds[i]!.toFixed(1)}`);
    fs.writeFileSync(csv, lines.join('\n'));
    const out = execFileSync('node', ['ops/cli/bin.cjs', 'fleet', 'simulate', '--trace', csv, '--json', '--refit-minutes', '240', '--out', dir], { encoding: 'utf8', timeout: 120000 });
    const r = JSON.parse(out);
    const names: string[] = r.policies.map((p: { policy: string }) => p.policy);
    expect(names.filter((n) => !n.includes("Conveyor's machine-hours")).sort()).toEqual(['conveyor', 'oracle', 'reactive (25% CPU target)', 'reactive (60% CPU target)', 'static peak']);
    const by = Object.fromEntries(r.policies.map((p: { policy: string }) => [p.policy, p]));
    // Target tracking at Conveyor's cost: tuned to spend no more than Conveyor, or a 99% target when even that spends more.
    const [equal, ...more] = names.filter((x) => x.includes("Conveyor's machine-hours"));
    expect(more).toEqual([]);
    if (equal!.startsWith('reactive (99% CPU target')) expect(by[equal!].machineHours).toBeGreaterThan(by.conveyor.machineHours);
    else expect(by[equal!].machineHours).toBeLessThanOrEqual(by.conveyor.machineHours);
    expect(by.oracle.machineHours).toBeLessThan(by['static peak'].machineHours);
    expect(by.conveyor.machineHours).toBeGreaterThanOrEqual(by.oracle.machineHours * 0.99);
    // The oracle is the physical limit: with the runs carried from minute to minute it meets the objective everywhere.
    expect(by.oracle.minutesOverObjective).toBe(0);
    expect(by.oracle.missedMinutes).toEqual([]);
    // Each policy lists its missed minutes as runs of consecutive minutes, as many as it counts.
    for (const p of r.policies as { missedMinutes: string[]; minutesOverObjective: number }[]) {
      if (p.missedMinutes.some((x) => x.startsWith('…'))) continue;
      expect(p.missedMinutes.reduce((n, x) => n + minutesIn(x), 0)).toBe(p.minutesOverObjective);
    }
    expect(r.forecast.methods['mstl-daily']).toBeGreaterThan(0);
    expect(r.goals.length).toBeGreaterThanOrEqual(5);
    expect(fs.readFileSync(path.join(dir, 'fleet-simulation.html'), 'utf8')).toMatch(/<canvas/);
    // A bad trace is an error with a code, not a crash.
    fs.writeFileSync(csv, 'minute,hardware_class,runs,cpu_seconds\nnot,a,row\n');
    let err = '';
    try {
      execFileSync('node', ['ops/cli/bin.cjs', 'fleet', 'simulate', '--trace', csv, '--json', '--out', dir], { encoding: 'utf8', stdio: 'pipe' });
    } catch (e) {
      err = String((e as { stderr: string }).stderr);
    }
    expect(JSON.parse(err.trim().split('\n').pop()!)).toMatchObject({ error: { code: 'bad_trace' } });
  });
});
