import { pooledDependencySets, poissonTail, poolSizeFor, sizePools, type WarmPoolConfig } from './warm-pools';

const cfg: WarmPoolConfig = { warmStartSeconds: 0.5, hitTarget: 0.99, minSize: 1, maxSize: 6, lookaheadMinutes: 5 };

describe('warm-pool sizes from the forecast per dependency set', () => {
  it('sizes a pool as the M/G/∞ of its refills: the fewest n with P(Poisson(λT) ≥ n) ≤ 1%', () => {
    // Hand-computed: λT = 1 → P(N≥3) = 8.0%, P(N≥4) = 1.9%, P(N≥5) = 0.37% → 5.
    expect(poissonTail(1, 4)).toBeCloseTo(0.019, 3);
    expect(poissonTail(1, 5)).toBeCloseTo(0.00366, 4);
    expect(poolSizeFor(2, cfg)).toBe(5);
    // λT = 0.05 → P(N≥1) = 4.9%, P(N≥2) = 0.12% → 2.
    expect(poolSizeFor(0.1, cfg)).toBe(2);
    expect(poolSizeFor(0, cfg)).toBe(0);
    expect(poolSizeFor(2, { ...cfg, warmStartSeconds: 0 })).toBe(0);
  });

  it('sizes each set for its busiest forecast minute up to the lookahead, shared by the executors of the class', () => {
    const now = 1000;
    // Quiet now, 240 runs/min from minute now+4 (inside the 5-minute lookahead); another set stays quiet.
    const ramp = { start: now - 2, runs: Array.from({ length: 20 }, (_, i) => (now - 2 + i >= now + 4 ? 240 : 6)), method: 'mstl-daily' };
    const quiet = { start: now, runs: Array(20).fill(6), method: 'mstl-daily' };
    const d = sizePools({ nowMinute: now, executors: 2, forecasts: new Map([['javascript-node20-std', ramp], ['python-3.11-std', quiet]]), sets: ['javascript-node20-std', 'python-3.11-std'], previous: { 'javascript-node20-std': 1 } }, cfg);
    // 240/min over 2 executors = 2 runs/s each → 5.
    expect(d[0]).toMatchObject({ dependencySet: 'javascript-node20-std', size: 5, previous: 1, forecastRunsPerMinute: 240, forecastMinute: now + 4, reason: 'forecast' });
    expect(d[0]!.arrivalsPerExecutorPerSecond).toBeCloseTo(2, 6);
    expect(d[0]!.explanation).toMatch(/javascript-node20-std: 5 warm per executor: the forecast \(mstl-daily\) expects 240.0 runs\/min at .* 2.00 runs\/s per executor of 2/);
    // 6/min over 2 = 0.05/s → λT 0.025 → 2 (P(N≥1) = 2.5% > 1%).
    expect(d[1]).toMatchObject({ dependencySet: 'python-3.11-std', size: 2, reason: 'forecast' });
    // The same ramp beyond the lookahead is not seen yet.
    const later = sizePools({ nowMinute: now - 3, executors: 2, forecasts: new Map([['javascript-node20-std', { ...ramp, start: now - 3 }]]), sets: ['javascript-node20-std'] }, cfg);
    expect(later[0]!.size).toBe(2);
  });

  it('keeps the floor without a forecast or demand, and the cap above it', () => {
    const now = 50;
    const none = { start: now, runs: Array(10).fill(0), method: 'none' };
    const zero = { start: now, runs: Array(10).fill(0), method: 'ets-level' };
    const huge = { start: now, runs: Array(10).fill(6000), method: 'mstl-daily-weekly' };
    const d = sizePools({ nowMinute: now, executors: 1, forecasts: new Map([['a', none], ['b', zero], ['c', huge]]), sets: ['a', 'b', 'c', 'd'] }, cfg);
    expect(d.map((x) => [x.dependencySet, x.size, x.reason])).toEqual([['a', 1, 'no_forecast'], ['b', 1, 'min'], ['c', 6, 'max'], ['d', 1, 'no_forecast']]);
    expect(d[2]!.explanation).toMatch(/the cap/);
    expect(sizePools({ nowMinute: now, executors: 0, forecasts: new Map([['c', huge]]), sets: ['c'] }, { ...cfg, maxSize: 100 })[0]!.arrivalsPerExecutorPerSecond).toBe(100);
  });

  it('lists the dependency sets of interpreted languages per class', () => {
    const sets = pooledDependencySets('x86_64');
    expect(sets).toEqual(expect.arrayContaining(['python-3.11-std', 'python-3.11-sci', 'javascript-node20-std', 'typescript-node20-std']));
    expect(sets).not.toContain('c-gcc12-std');
    expect(pooledDependencySets('no-such-class')).toEqual([]);
  });

  it('never sizes below what the last minute of the set needed (what no forecast saw coming)', () => {
    const now = 70;
    const quiet = { start: now, runs: Array(10).fill(6), method: 'mstl-daily' };
    // 120 runs came in the last minute on one executor, against a forecast of 6: λT = 1 → 5.
    const d = sizePools({ nowMinute: now, executors: 1, forecasts: new Map([['s', quiet]]), sets: ['s', 't'], live: { s: 120, t: 3 } }, cfg);
    expect(d[0]).toMatchObject({ size: 5, reason: 'live', forecastRunsPerMinute: 120, forecastMinute: now - 1 });
    expect(d[0]!.explanation).toMatch(/s: 5 warm per executor: the last minute \(.* UTC\) had 120 runs, more than the forecast \(mstl-daily\) expects/);
    // A set without a forecast that ran: sized on its live runs (3/min: λT 0.025 → 2).
    expect(d[1]).toMatchObject({ size: 2, reason: 'live' });
    // Live below the forecast: the forecast decides.
    expect(sizePools({ nowMinute: now, executors: 1, forecasts: new Map([['s', quiet]]), sets: ['s'], live: { s: 1 } }, cfg)[0]!.reason).toBe('forecast');
  });
});
