import { formatPlan, plan } from './plan';

const brief = { peakRunsPerS: 2220, runSeconds: 10, coresPerMachine: 64, coresPerRun: 1, shares: { x86_64: 1 }, waitObjectiveS: 1, quantile: 0.99, headroom: 1.25, openPrograms: 400000 };

describe('topics plan', () => {
  it('sizes the design brief peak: 22,200 busy cores, ~350 machines of 64 cores, 512 partitions', () => {
    const p = plan(brief);
    expect(p.classes[0]!.busyCores).toBe(22200);
    // Erlang C needs a little more than the offered load, far less than a fixed 20% headroom.
    expect(p.classes[0]!.cores).toBeGreaterThan(22200);
    expect(p.classes[0]!.cores).toBeLessThan(22200 * 1.02);
    expect(p.classes[0]!.machines).toBeGreaterThanOrEqual(347);
    expect(p.classes[0]!.machines).toBeLessThanOrEqual(355);
    expect(p.partitions).toBe(512);
    expect(p.ranges.reduce((s, r) => s + r.size, 0)).toBe(512);
    expect(p.ranges.every((r) => r.end < 512 && r.size >= 1)).toBe(true);
  });

  it('splits the peak over hardware classes and sizes partitions for the largest', () => {
    const p = plan({ ...brief, shares: { x86_64: 0.9, arm64: 0.1 } });
    const [x86, arm] = p.classes;
    expect(x86!.runsPerS).toBeCloseTo(1998);
    expect(arm!.busyCores).toBeCloseTo(2220);
    expect(p.largest).toBe(x86!.executors);
    expect(p.partitions).toBe(512);
    expect(formatPlan(p)).toContain('ROUTED_PARTITIONS=512');
    expect(formatPlan(p)).toMatch(/busy cores {2}a = 1,998\.0 runs\/s × 10 s × 1 = 19,980/);
  });

  it('keeps small local figures small', () => {
    expect(plan({ ...brief, peakRunsPerS: 2, coresPerMachine: 2 }).partitions).toBeLessThanOrEqual(32);
  });
});
