import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { generateTrace } from '../../ops/fleet/simulate/trace';
import { validateModel } from '../../ops/fleet/simulate/validate';

// The minute model of the fleet simulation against a run-by-run discrete-event simulation
// at 1/100 of the seed scale (22 runs/s at peak), on the afternoon ramp and evening peak.
function afternoon() {
  const day = generateTrace({ days: 1, scale: 0.01, classShares: { x86_64: 1 }, holidayDay: -1, spikeDay: -1 });
  const c = day.classes.x86_64!;
  const from = 14 * 60;
  return { ...day, start: day.start + from, minutes: day.minutes - from, classes: { x86_64: { runs: c.runs.slice(from), cpuSeconds: c.cpuSeconds.slice(from) } } };
}

describe('fleet simulation model', () => {
  // Measured (6 seeds of the run-by-run simulation, their mean; model/run-by-run − 1 for mean wait, p99, share over 1 s):
  // capacity 10 minutes late (a third of runs over 1 s) +1.3%, +4.5%, +2.1%; 5 late −0.8%, −0.7%, +2.5%; 1 late (light
  // queues, 2% over 1 s) +6.7%, +2.3%, +11.3%. Before long queues were served by the slots ahead (fluidWait), 10 late was
  // +7%, +17%, +2% (a growing fleet serves a long queue faster than its current slots) and 1 late +10%, +6%, +15%.
  // Still off: 2–3 minutes late (queues near saturation) the model is 11–36% optimistic (decision doc).
  it('agrees with the mean run-by-run waits within 10% under heavy queueing and within 10–15% under light queueing', () => {
    const trace = afternoon();
    const seeds = [1, 2, 3, 4, 5, 6];
    const within = (r: ReturnType<typeof validateModel>, k: 'meanWait' | 'p99' | 'shareOver1s') => Math.abs(r.model[k] / r.runByRun[k] - 1);
    const heavy = validateModel(trace, 'x86_64', { lagMinutes: 5, seeds });
    expect(heavy.runByRun.shareOver1s).toBeGreaterThan(0.1); // the lag does build queues
    for (const k of ['meanWait', 'p99', 'shareOver1s'] as const) expect(within(heavy, k)).toBeLessThan(0.1);
    const heavier = validateModel(trace, 'x86_64', { lagMinutes: 10, seeds });
    expect(heavier.runByRun.shareOver1s).toBeGreaterThan(0.3);
    for (const k of ['meanWait', 'p99', 'shareOver1s'] as const) expect(within(heavier, k)).toBeLessThan(0.1);
    const light = validateModel(trace, 'x86_64', { lagMinutes: 1, seeds });
    expect(light.runByRun.shareOver1s).toBeGreaterThan(0.01);
    expect(light.runByRun.shareOver1s).toBeLessThan(0.05);
    for (const k of ['meanWait', 'p99'] as const) expect(within(light, k)).toBeLessThan(0.1);
    expect(within(light, 'shareOver1s')).toBeLessThan(0.15);
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
