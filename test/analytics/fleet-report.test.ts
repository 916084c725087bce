import { chromium, type BrowserContext } from 'playwright-core';
import { migrate } from '../../analytics/migrations';
import { openWarehouse, type Warehouse } from '../../analytics/warehouse';
import { refreshForecasts } from '../../analytics/forecast/forecaster';
import { writeFleetReport } from '../../analytics/forecast/report';
import { loadSyntheticUsage } from '../../analytics/forecast/synthetic-usage';
import { tmpDir } from './fixtures';

let wh: Warehouse;
let browser: BrowserContext;
beforeAll(async () => {
  wh = await openWarehouse({ dataDir: tmpDir('fleet-report-ch') });
  await migrate(wh);
  browser = await chromium.launchPersistentContext(tmpDir('chromium'), {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1300, height: 1000 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
afterAll(async () => {
  await browser?.close();
  await wh?.close();
});

const NOW = Math.floor(Date.UTC(2026, 10, 30, 12, 0) / 60000);
const shape = (m: number) => 20 + 40 * Math.sin((Math.PI * (m % 1440)) / 1440) ** 4;

describe('fleet scaling report', () => {
  it('builds the report from usage, forecasts and fleet events in ClickHouse and renders every chart in Chromium', async () => {
    await loadSyntheticUsage(wh, { hardwareClass: 'x86_64', fromMinute: NOW - 3 * 1440, toMinute: NOW, runsAt: shape, cpuMsPerRun: 3000, queueWaitMs: 40 });
    for (let t = NOW - 240; t < NOW; t += 60) await refreshForecasts(wh, { hardwareClasses: ['x86_64'], nowMinute: t });
    const ev = (minute: number, kind: string, desired: number, reason: string) => ({
      event_id: `e-${minute}-${kind}`, at: new Date(minute * 60000).toISOString().replace('T', ' ').replace('Z', ''), kind, hardware_class: 'x86_64', member_id: '', state: '', previous_state: '', desired, actual: desired,
      min: 1, max: 8, applied: 1, reason, actor: kind === 'scale_decision' ? 'scaler' : 'operator', inputs_json: '{}', manager_id: 'm1', kafka_topic: 'ops.fleet', kafka_partition: 0, kafka_offset: minute,
    });
    await wh.insert('fleet_events', [
      ev(NOW - 1440, 'desired_changed', 2, 'operator set 2'),
      ev(NOW - 200, 'scale_decision', 3, 'forecast: 3 executors: the forecast expects …'),
      ev(NOW - 100, 'scale_decision', 4, 'reactive: 4 executors: the live floor …'),
      ev(NOW - 50, 'scale_decision', 4, 'hold: 4 executors: scale-in waits …'),
    ]);
    const dir = tmpDir('fleet-report');
    const { html, report } = await writeFleetReport(wh, dir, { fromMinute: NOW - 1440, toMinute: NOW, slotsPerExecutor: 2, waitObjectiveSeconds: 1, waitQuantile: 0.99, bootDelayMinutes: 3, stepMinutes: 5 });
    const c = report.classes.find((x) => x.hardwareClass === 'x86_64')!;
    expect(c.decisionsByReason).toEqual({ forecast: 1, reactive: 1, hold: 1 });
    // Desired 2 for most of the day, then 3 and 4: between 2 and 4 executors per minute on average.
    expect(c.executorHours.fleet! / 24).toBeGreaterThan(2);
    expect(c.executorHours.fleet! / 24).toBeLessThan(2.5);
    expect(c.executorHours.oracle).toBeLessThan(c.executorHours.staticPeak);
    expect(c.hoursMeetingObjective).toBe(1); // 40 ms waits
    expect(c.series.forecastCores.filter((v) => v !== null).length).toBeGreaterThan(30);
    expect(report.accuracy.cpu_seconds.find((a) => a.fromMinutes === 0)!.samples).toBeGreaterThan(0);

    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const outside: string[] = [];
    page.on('request', (r) => !r.url().startsWith('file:') && outside.push(r.url()));
    await page.goto(`file://${html}`);
    const canvases = await page.locator('canvas').count();
    expect(canvases).toBe(5); // four per class and the accuracy chart
    await page.waitForFunction((n) => (window as unknown as { renderedCharts: number }).renderedCharts === n, canvases, { timeout: 20000 });
    // Every chart drew something: some pixels of each canvas are not transparent.
    const painted = await page.$$eval('canvas', (cs) =>
      cs.map((c) => {
        const d = (c as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, (c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height).data;
        let n = 0;
        for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) n++;
        return n;
      }),
    );
    expect(painted.every((n) => n > 500)).toBe(true);
    expect(errors).toEqual([]);
    expect(outside).toEqual([]);
    await page.close();
  });
});
