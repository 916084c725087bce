import { defaultForecastOptions, forecastSeries } from './model';

// A known shape: a daily curve peaking at 14:00, weekends at 40%, plus small deterministic noise.
const DAY = 1440;
function truth(minute: number): number {
  const dayOfWeek = Math.floor(minute / DAY + 3) % 7; // epoch day 0 was a Thursday
  const h = (minute % DAY) / 60;
  const daily = 100 + 900 * Math.exp(-(((h - 14) / 3) ** 2));
  return daily * (dayOfWeek >= 5 ? 0.4 : 1);
}
function noisy(minute: number): number {
  return truth(minute) * (1 + 0.03 * Math.sin(minute * 12.9898) * Math.cos(minute * 4.1414));
}
function history(endMinute: number, minutes: number, f = noisy): number[] {
  return Array.from({ length: minutes }, (_, i) => f(endMinute - minutes + i));
}
function mape(point: number[], start: number, from: number, to: number): number {
  let s = 0;
  for (let h = from; h < to; h++) s += Math.abs(point[h]! - truth(start + h)) / truth(start + h);
  return s / (to - from);
}

// Monday 2026-11-30 10:00 UTC: the ramp to the 14:00 peak lies inside the horizon.
const NOW = Date.UTC(2026, 10, 30, 10, 0) / 60000;

describe('forecastSeries', () => {
  it('forecasts a daily and weekly seasonal series within 5% MAPE over the next two hours, ramp included', () => {
    const f = forecastSeries({ start: NOW - 15 * DAY, values: history(NOW, 15 * DAY) }, { ...defaultForecastOptions, horizonMinutes: 240 });
    expect(f.method).toBe('mstl-daily-weekly');
    expect(f.start).toBe(NOW);
    expect(f.point.length).toBeGreaterThanOrEqual(120);
    expect(mape(f.point, NOW, 0, 60)).toBeLessThan(0.05);
    expect(mape(f.point, NOW, 60, 120)).toBeLessThan(0.05);
    // The ramp is in the forecast: 13:30 well above 10:00.
    expect(f.point[210 - 1]! / f.point[0]!).toBeGreaterThan(1.8);
  });

  it('knows Monday from Sunday only with weekly seasonality', () => {
    const sunday = NOW - DAY; // Sunday 10:00
    const f = forecastSeries({ start: sunday - 15 * DAY, values: history(sunday, 15 * DAY) });
    expect(mape(f.point, sunday, 0, 120)).toBeLessThan(0.08);
  });

  it('fills a gap and ignores a short spike in the history', () => {
    const values = history(NOW, 15 * DAY);
    const yesterday = values.length - DAY;
    for (let i = yesterday - 90; i < yesterday; i++) values[i] = NaN;
    for (let i = yesterday + 30; i < yesterday + 40; i++) values[i]! *= 8;
    const f = forecastSeries({ start: NOW - 15 * DAY, values });
    expect(f.filledMinutes).toBe(90);
    expect(f.clippedBuckets).toBeGreaterThan(0);
    expect(mape(f.point, NOW, 0, 120)).toBeLessThan(0.05);
  });

  it('issued in the middle of a steep daily ramp, forecasts the rest of it (the newest buckets are not taken for outliers)', () => {
    // Every day: 100 until 12:00, a cosine ramp to 2,000 by 13:00, held to 18:00. Issued at 12:30, half way up.
    const steep = (minute: number) => {
      const h = (minute % DAY) / 60;
      const up = h < 12 ? 0 : h < 13 ? 0.5 - 0.5 * Math.cos(Math.PI * (h - 12)) : h < 18 ? 1 : 0;
      return (100 + 1900 * up) * (1 + 0.01 * Math.sin(minute * 12.9898));
    };
    const at = NOW + 150; // Monday 12:30
    const f = forecastSeries({ start: at - 15 * DAY, values: history(at, 15 * DAY, steep) });
    for (const h of [15, 30, 60, 120]) expect(Math.abs(f.point[h]! / steep(at + h) - 1)).toBeLessThan(0.1);
  });

  it('with a holiday calendar, takes a weekday holiday for a weekend day and forecasts the day after it at weekday level', () => {
    // Thursday 26 November is a holiday that looks like a weekend day; issued at 23:00 that day, the forecast covers
    // the rest of it and Friday's first two hours.
    const holiday = Date.UTC(2026, 10, 26) / 60000;
    const withHoliday = (m: number) => (m >= holiday && m < holiday + DAY ? 0.4 : 1) * noisy(m);
    const at = holiday + 23 * 60;
    const values = history(at, 15 * DAY, withHoliday);
    const calendar = forecastSeries({ start: at - 15 * DAY, values }, { ...defaultForecastOptions, holidays: [holiday / DAY] });
    const plain = forecastSeries({ start: at - 15 * DAY, values });
    const err = (f: { point: number[] }, from: number, to: number, truthAt: (m: number) => number) => {
      let s = 0;
      for (let h = from; h < to; h++) s += Math.abs(f.point[h]! / truthAt(at + h) - 1);
      return s / (to - from);
    };
    // Friday 00:00–02:00 at weekday level, and the holiday's last hour at its own.
    expect(err(calendar, 60, 180, truth)).toBeLessThan(0.1);
    expect(err(calendar, 0, 60, (m) => 0.4 * truth(m))).toBeLessThan(0.1);
    // Without the calendar the holiday lowered the model's level: Friday's night comes in well below a weekday's.
    expect(err(plain, 60, 180, truth)).toBeGreaterThan(2 * err(calendar, 60, 180, truth));
  });

  it('falls back to daily seasonality with less than two weeks and says so', () => {
    const friday = NOW + 4 * DAY; // three weekdays of history, Tuesday to Friday 10:00
    const f = forecastSeries({ start: friday - 3 * DAY, values: history(friday, 3 * DAY) });
    expect(f.method).toBe('mstl-daily');
    expect(f.note).toMatch(/weekly seasonality needs 14/);
    expect(mape(f.point, friday, 0, 120)).toBeLessThan(0.1);
  });

  it('holds the recent level with hours of history, and forecasts nothing from nothing', () => {
    const f = forecastSeries({ start: NOW - 180, values: history(NOW, 180) });
    expect(f.method).toBe('ets-level');
    expect(f.note).toMatch(/no seasonality/);
    expect(Math.abs(f.point[0]! - truth(NOW)) / truth(NOW)).toBeLessThan(0.15);
    const none = forecastSeries({ start: NOW - 10, values: new Array(10).fill(NaN) });
    expect(none.method).toBe('none');
    expect(none.point.every((v) => v === 0)).toBe(true);
    const few = forecastSeries({ start: NOW - 20, values: history(NOW, 20) });
    expect(few.method).toBe('last-value');
  });
});
