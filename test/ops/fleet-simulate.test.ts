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
  // Measured (6 seeds of the run-by-run simulation, their mean): capacity 1 minute late (light queues, 2% of runs over
  // 1 s) mean wait +10%, p99 +6%, share over 1 s +15%; 5 minutes late mean +1%, p99 +3%, share +3%; 10 minutes late
  // (a third of runs over 1 s) mean +7%, p99 +17%, share +2%. Still off: 2–3 minutes late the model is 10–34% optimistic
  // (queues near saturation, where its fluid queue above the slots is shorter than the stochastic one).
  // The minute model before the stationary fluid flow was 3-4x pessimistic at 1 minute late (steady-state Erlang C per minute).
  it('agrees with the mean run-by-run waits within 10% under heavy queueing and within 20% under light queueing', () => {
    const trace = afternoon();
    const seeds = [1, 2, 3, 4, 5, 6];
    const heavy = validateModel(trace, 'x86_64', { lagMinutes: 5, seeds });
    expect(heavy.runByRun.shareOver1s).toBeGreaterThan(0.1); // the lag does build queues
    for (const k of ['meanWait', 'p99', 'shareOver1s'] as const) expect(Math.abs(heavy.model[k] / heavy.runByRun[k] - 1)).toBeLessThan(0.1);
    const heavier = validateModel(trace, 'x86_64', { lagMinutes: 10, seeds });
    expect(heavier.runByRun.shareOver1s).toBeGreaterThan(0.3);
    for (const k of ['meanWait', 'shareOver1s'] as const) expect(Math.abs(heavier.model[k] / heavier.runByRun[k] - 1)).toBeLessThan(0.1);
    expect(Math.abs(heavier.model.p99 / heavier.runByRun.p99 - 1)).toBeLessThan(0.2);
    const light = validateModel(trace, 'x86_64', { lagMinutes: 1, seeds });
    expect(light.runByRun.shareOver1s).toBeGreaterThan(0.01);
    expect(light.runByRun.shareOver1s).toBeLessThan(0.05);
    for (const k of ['meanWait', 'p99', 'shareOver1s'] as const) expect(Math.abs(light.model[k] / light.runByRun[k] - 1)).toBeLessThan(0.2);
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
