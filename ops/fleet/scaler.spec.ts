import { decide, emptyScalerState, type ScalerConfig, type ScalerInput } from './scaler';

// One slot per executor, so executors = Erlang C servers and the figures can be checked by hand.
const cfg: ScalerConfig = {
  slotsPerExecutor: 1,
  bootDelaySeconds: 180,
  waitObjectiveSeconds: 1,
  waitQuantile: 0.99,
  minExecutors: 1,
  maxExecutors: 20,
  scaleInWindowMinutes: 10,
  lookaheadMinutes: 1,
  backlogDrainSeconds: 60,
  defaultServiceSeconds: 1,
  serviceCv2: 1,
  mode: 'act',
};
const NOW = 1000;
const idle = { runsPerMinute: 0, cpuSecondsPerMinute: 0, backlog: 0, queueWaitP99Seconds: null };
/** A forecast from NOW of `before` runs/min until minute `at`, `after` from then on, 1 CPU second each. */
function step(at: number, before: number, after: number) {
  const runs = Array.from({ length: 180 }, (_, i) => (NOW + i < at ? before : after));
  return { start: NOW, runs, cpuSeconds: runs, method: 'mstl-daily-weekly' };
}
const input = (o: Partial<ScalerInput>): ScalerInput => ({ hardwareClass: 'x86_64', nowMinute: NOW, live: idle, current: { desired: 1, ready: 1 }, ...o });

// By hand, λ = 1/s and S = 1 s (a = 1 Erlang), p99 wait ≤ 1 s needs C(c,1)·e^−(c−1) ≤ 0.01:
// B(1..4) = 1/2, 1/5, 1/16, 1/65; c = 3: C = 0.0909, ×e^−2 = 0.0123 (too much); c = 4: C = 0.0204, ×e^−3 = 0.0010.
const FOUR = 4;

describe('scaler decide', () => {
  it('grows ahead of a forecast ramp that arrives once a machine asked for now has booted, with nothing live yet', () => {
    const { decision } = decide(input({ forecast: step(NOW + 3, 0, 60) }), cfg, emptyScalerState);
    expect(decision).toMatchObject({ desired: FOUR, forecastNeed: FOUR, reactiveNeed: 0, reason: 'forecast', act: true });
    expect(decision.forecastLoad).toEqual({ minute: NOW + 3, arrivalsPerSecond: 1, serviceSeconds: 1 });
    expect(decision.explanation).toMatch(/4 executors: the forecast \(mstl-daily-weekly\) expects 1\.0 runs\/s/);
    // A ramp further out than boot delay + lookahead does not move the fleet yet.
    expect(decide(input({ forecast: step(NOW + 10, 0, 60) }), cfg, emptyScalerState).decision).toMatchObject({ desired: 1, forecastNeed: 0, reason: 'min' });
  });

  it('never goes below the reactive floor: live arrivals plus the slots that drain the backlog in a minute', () => {
    // Live a = 1 Erlang → 4; backlog 120 runs × 1 s over 60 s → 2 more slots: 6, above the forecast's 4.
    const live = { runsPerMinute: 60, cpuSecondsPerMinute: 60, backlog: 120, queueWaitP99Seconds: 0.5 };
    const { decision } = decide(input({ forecast: step(NOW, 60, 60), live }), cfg, emptyScalerState);
    expect(decision).toMatchObject({ desired: 6, forecastNeed: FOUR, reactiveNeed: 6, reason: 'reactive' });
    // Waits above the objective without a backlog to explain them: one more than what is ready.
    const slow = decide(input({ forecast: step(NOW, 60, 60), live: { ...live, backlog: 0, queueWaitP99Seconds: 3 }, current: { desired: 8, ready: 8 } }), cfg, emptyScalerState);
    expect(slow.decision).toMatchObject({ desired: 9, reactiveNeed: 9, reason: 'reactive' });
    // Today's arrivals forecast the next minute, with the forecast's measured margin: at 100%, a = 2 Erlangs, 5 (by hand in the surprise case).
    const noisy = decide(input({ forecast: { ...step(NOW, 0, 0), margin: 1 }, live: { ...live, backlog: 0, queueWaitP99Seconds: 0.1 } }), cfg, emptyScalerState);
    expect(noisy.decision).toMatchObject({ desired: 5, reactiveNeed: 5, reason: 'reactive' });
  });

  it('sizes the whole lookahead up at once when the last minute came in above the forecast by more than its margin', () => {
    // The forecast said 30 runs/min for the last minute and 60 from NOW + 3; 60 came: a surprise of 2×.
    const ramp = { ...step(NOW + 3, 30, 60), start: NOW - 1, runs: [30, ...step(NOW + 3, 30, 60).runs] };
    ramp.cpuSeconds = ramp.runs;
    const live = { runsPerMinute: 60, cpuSecondsPerMinute: 60, backlog: 0, queueWaitP99Seconds: 0.2 };
    const surprised = decide(input({ forecast: { ...ramp, margin: 0.1 }, live, current: { desired: 2, ready: 2 } }), cfg, emptyScalerState).decision;
    // By hand, a = 2 Erlangs (120 runs/min of 1 s): B(4) = 0.0952, C = 0.174, ×e^−2 = 0.0235 (too much); B(5) = 0.0367,
    // C = 0.0597, ×e^−3 = 0.0030: 5 executors, where the forecast alone (a = 1, 60 × 1.1 runs/min) needs 4 and the live floor 4.
    expect(surprised).toMatchObject({ desired: 5, forecastNeed: 5, reactiveNeed: FOUR, reason: 'forecast', surprise: 2 });
    expect(surprised.explanation).toMatch(/arrivals came in 2\.00× the forecast/);
    // A forecast issued this minute starts at NOW: what the one before said for the last minute is passed beside it.
    const fresh = { ...step(NOW + 3, 30, 60), margin: 0.1, lastMinuteRuns: 30 };
    expect(decide(input({ forecast: fresh, live, current: { desired: 2, ready: 2 } }), cfg, emptyScalerState).decision).toMatchObject({ desired: 5, surprise: 2 });
    // Within the margin it is no surprise: the forecast sized up by its margin alone.
    const usual = decide(input({ forecast: { ...ramp, margin: 0.1 }, live: { ...live, runsPerMinute: 33, cpuSecondsPerMinute: 33 }, current: { desired: 2, ready: 2 } }), cfg, emptyScalerState).decision;
    expect(usual).toMatchObject({ desired: FOUR, forecastNeed: FOUR, surprise: null });
  });

  it('drains the backlog there will be once new machines are ready, not only the one there is now', () => {
    // Live a = 4 Erlangs (240 runs/min of 1 s) on 2 ready slots: by hand C(7) = 0.135, ×e^−3 = 0.0067, 7 slots; the 2 missing
    // slots add 2 × 180 s / 1 s = 360 runs over the boot delay to the backlog of 120: 480 runs drained in 60 s, 8 slots more.
    const live = { runsPerMinute: 240, cpuSecondsPerMinute: 240, backlog: 120, queueWaitP99Seconds: 30 };
    const { decision } = decide(input({ live, current: { desired: 2, ready: 2 } }), cfg, emptyScalerState);
    expect(decision).toMatchObject({ desired: 15, reactiveNeed: 15, reason: 'reactive' });
  });

  it('scales in only to the highest recommendation of the stabilisation window', () => {
    const state = { recommendations: [{ minute: NOW - 5, executors: 8 }, { minute: NOW - 12, executors: 15 }] };
    const first = decide(input({ forecast: step(NOW, 60, 60), current: { desired: 10, ready: 10 } }), cfg, state);
    // Raw need 4; 8 was recommended 5 minutes ago (inside 10), 15 twelve minutes ago (outside).
    expect(first.decision).toMatchObject({ desired: 8, previous: 10, reason: 'stabilised' });
    expect(first.state.recommendations).toEqual([{ minute: NOW - 5, executors: 8 }, { minute: NOW, executors: FOUR }]);
    // Ten minutes later only lower recommendations remain: down to 4.
    const later = decide(input({ nowMinute: NOW + 6, forecast: { ...step(NOW, 60, 60), start: NOW + 6 }, current: { desired: 8, ready: 8 } }), cfg, first.state);
    expect(later.decision).toMatchObject({ desired: FOUR, reason: 'forecast' });
    // Scale-out is never held back.
    expect(decide(input({ forecast: step(NOW, 60, 60), current: { desired: 2, ready: 2 } }), cfg, state).decision.desired).toBe(FOUR);
  });

  it('stays within min and max, and says which bound it hit', () => {
    const huge = decide(input({ forecast: step(NOW, 6000, 6000) }), cfg, emptyScalerState).decision;
    expect(huge).toMatchObject({ desired: 20, reason: 'max' });
    expect(huge.forecastNeed).toBeGreaterThan(100);
    expect(decide(input({ forecast: step(NOW, 0, 0), current: { desired: 0, ready: 0 } }), cfg, emptyScalerState).decision).toMatchObject({ desired: 1, reason: 'min' });
  });

  it('without history sizes on the live floor alone and says there is no forecast; observe mode does not act', () => {
    const live = { runsPerMinute: 60, cpuSecondsPerMinute: 60, backlog: 0, queueWaitP99Seconds: null };
    for (const forecast of [undefined, { start: NOW, runs: [0, 0, 0, 0, 0], cpuSeconds: [0, 0, 0, 0, 0], method: 'none' }]) {
      const { decision } = decide(input({ forecast, live }), { ...cfg, mode: 'observe' }, emptyScalerState);
      expect(decision).toMatchObject({ desired: FOUR, forecastNeed: null, reactiveNeed: FOUR, reason: 'reactive', act: false });
      expect(decision.explanation).toMatch(/no usable forecast/);
    }
  });
});
