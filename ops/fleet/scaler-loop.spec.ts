import type { Warehouse } from '../../analytics/warehouse';
import { warehouseScalerSource } from '../../analytics/forecast/scaler-source';
import { createScalerLoop, type ScalerFleet } from './scaler-loop';
import { scalerSettings } from './scaler-settings';

// A warehouse whose usage_per_minute holds one minute: 120 runs of 1 s each in the minute before now.
const NOW_MS = Date.UTC(2026, 10, 30, 10, 0, 30);
const lastMinute = Math.floor(NOW_MS / 60000) - 1;
function fakeWarehouse(): Warehouse & { inserts: string[] } {
  const inserts: string[] = [];
  return {
    kind: 'chdb',
    inserts,
    async query<T>(_sql: string, params?: Record<string, unknown>): Promise<T[]> {
      const from = Number(params?.from);
      const to = Number(params?.to);
      return (lastMinute >= from && lastMinute < to ? [{ m: String(lastMinute), runs: '120', cpu: 120, p99: [0, 0, 0, 250] }] : []) as T[];
    },
    async command() {},
    async insert(table) {
      inserts.push(table);
    },
    async close() {},
  };
}
function fakeFleet(): ScalerFleet & { calls: { hw: string; desired: number; apply: boolean; reason: string; inputs: Record<string, unknown> }[] } {
  const calls: { hw: string; desired: number; apply: boolean; reason: string; inputs: Record<string, unknown> }[] = [];
  return {
    calls,
    list: () => ({ classes: [{ hardwareClass: 'x86_64', desired: 1, ready: 1, min: 1, max: 10 }] }),
    async decide(hw, d) {
      calls.push({ hw, desired: d.desired, apply: d.apply, reason: d.reason, inputs: d.inputs });
      return {};
    },
  };
}

describe('scaler loop', () => {
  it('decides every class from the last minute and hands the decision with its inputs to the fleet; observe mode does not apply', async () => {
    for (const mode of ['act', 'observe'] as const) {
      const wh = fakeWarehouse();
      const fleet = fakeFleet();
      const settings = scalerSettings({ SCALER_MODE: mode, SCALER_SLOTS_PER_EXECUTOR: '1', SCALER_BACKLOG_DRAIN_SECONDS: '60' });
      const loop = createScalerLoop({ source: warehouseScalerSource(wh), fleet, backlog: async () => 60, settings, now: () => NOW_MS });
      const [d] = await loop.tick();
      // 2 runs/s of 1 s: a = 2 Erlangs → Erlang C for p99 ≤ 1 s; 60 queued runs × 1 s over 60 s → one more slot.
      expect(d).toMatchObject({ hardwareClass: 'x86_64', reason: 'reactive' });
      // The forecast (one minute of history: held flat) needs the same as the arrivals alone; the backlog adds to the floor.
      expect(d!.forecastNeed).toBeGreaterThan(2);
      expect(d!.reactiveNeed).toBeGreaterThan(d!.forecastNeed!);
      expect(fleet.calls).toHaveLength(1);
      expect(fleet.calls[0]).toMatchObject({ hw: 'x86_64', desired: d!.desired, apply: mode === 'act' });
      expect(fleet.calls[0]!.reason).toMatch(/^reactive: \d+ executors: the live floor \(2\.0 runs\/s, backlog 60/);
      expect(fleet.calls[0]!.inputs).toMatchObject({ result: d!.desired, reactiveNeed: d!.reactiveNeed, backlog: 60, runsPerMinute: 120, queueWaitP99Seconds: 0.25, forecastMethod: 'last-value' });
      // The refresh stored the forecasts it made (two metrics).
      expect(wh.inserts).toEqual(['forecasts', 'forecasts']);
    }
  });

  it('still decides from the backlog when the analytics service cannot answer, and says so in the inputs', async () => {
    const fleet = fakeFleet();
    const down = async () => {
      throw new Error('connect ECONNREFUSED');
    };
    const settings = scalerSettings({ SCALER_MODE: 'act', SCALER_SLOTS_PER_EXECUTOR: '1', SCALER_BACKLOG_DRAIN_SECONDS: '60', SCALER_DEFAULT_SERVICE_MS: '1000' });
    const logged: string[] = [];
    const loop = createScalerLoop({ source: { refresh: down, usageMinute: down }, fleet, backlog: async () => 120, settings, now: () => NOW_MS, log: (m) => logged.push(m) });
    const [d] = await loop.tick();
    // No usage, no forecast: 120 queued runs of the default 1 s drained in 60 s need 2 slots, plus none for arrivals.
    expect(d).toMatchObject({ reason: 'reactive', forecastNeed: null, reactiveNeed: 2, desired: 2 });
    expect(fleet.calls[0]!.inputs).toMatchObject({ refreshError: expect.stringMatching(/no forecast yet.*ECONNREFUSED/), usageError: expect.stringMatching(/ECONNREFUSED/), forecastIssuedMinute: null });
    expect(logged.join('\n')).toMatch(/forecast refresh failed/);
  });
});
