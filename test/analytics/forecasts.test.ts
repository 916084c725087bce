import { migrate } from '../../analytics/migrations';
import { openWarehouse, type Warehouse } from '../../analytics/warehouse';
import { refreshForecasts } from '../../analytics/forecast/forecaster';
import { forecastAccuracy, usageHistory } from '../../analytics/forecast/store';
import { loadSyntheticUsage } from '../../analytics/forecast/synthetic-usage';
import { tmpDir } from './fixtures';

let wh: Warehouse;
beforeAll(async () => {
  wh = await openWarehouse({ dataDir: tmpDir('forecasts-ch') });
  await migrate(wh);
});
afterAll(async () => {
  await wh?.close();
});

const NOW = Math.floor(Date.UTC(2026, 10, 30, 10, 0) / 60000);
const shape = (m: number) => 20 + 15 * Math.sin((2 * Math.PI * (m % 1440)) / 1440 - Math.PI / 2) ** 2;

describe('forecasts in ClickHouse', () => {
  it('forecasts from usage_per_minute, stores the forecast and measures its accuracy once the minutes have passed', async () => {
    await loadSyntheticUsage(wh, { hardwareClass: 'x86_64', fromMinute: NOW - 3 * 1440, toMinute: NOW + 120, runsAt: shape, cpuMsPerRun: 2000 });
    const history = await usageHistory(wh, { hardwareClass: 'x86_64', fromMinute: NOW - 60, toMinute: NOW });
    expect(history).toHaveLength(60);
    expect(history[0]!.cpuSeconds).toBeCloseTo(history[0]!.runs * 2, 6);

    // Issued at NOW from the history before it; the two hours after NOW are already loaded as "what came".
    const r = await refreshForecasts(wh, { hardwareClasses: ['x86_64', 'arm64'], nowMinute: NOW });
    const f = r.byClass.get('x86_64')!;
    expect(f.runs.method).toBe('mstl-daily');
    expect(r.byClass.get('arm64')!.runs.method).toBe('none');
    const stored = await wh.query<{ n: string; h: number }>(
      "SELECT count() AS n, max(horizon_minutes) AS h FROM forecasts WHERE hardware_class = 'x86_64' AND metric = 'cpu_seconds' AND issued_at = toDateTime({t:Int64} * 60)",
      { t: NOW },
    );
    expect(Number(stored[0]!.n)).toBe(f.cpu_seconds.point.length);
    expect(Number(stored[0]!.h)).toBeGreaterThanOrEqual(120);

    const acc = await forecastAccuracy(wh, { fromMinute: NOW, toMinute: NOW + 120, hardwareClass: 'x86_64', metric: 'runs', edges: [0, 60, 120] });
    expect(acc.map((a) => a.samples)).toEqual([60, 60]);
    for (const a of acc) expect(a.mape).toBeLessThan(0.1);
    expect(acc[0]!.underRate).toBeGreaterThanOrEqual(0);
    expect(acc[0]!.underRate).toBeLessThanOrEqual(1);
  });
});
