import { forecastSettings, holidaysFor } from './settings';

describe('forecast settings: the holiday calendar', () => {
  it('reads holidays for every class and per class as UTC day numbers', () => {
    const { holidays } = forecastSettings({ FORECAST_HOLIDAYS: '2026-12-25, arm64:2026-12-26' });
    const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`) / 86400000;
    expect(holidays).toEqual({ all: [day('2026-12-25')], byClass: { arm64: [day('2026-12-26')] } });
    expect(holidaysFor(holidays, 'arm64')).toEqual([day('2026-12-25'), day('2026-12-26')]);
    expect(holidaysFor(holidays, 'x86_64')).toEqual([day('2026-12-25')]);
    expect(forecastSettings({}).holidays).toEqual({ all: [], byClass: {} });
  });

  it('refuses what is not a list of dates, naming the variable', () => {
    expect(() => forecastSettings({ FORECAST_HOLIDAYS: 'christmas' })).toThrow(/FORECAST_HOLIDAYS.*YYYY-MM-DD/);
    expect(() => forecastSettings({ FORECAST_HOLIDAYS: '2026-02-30' })).toThrow(/FORECAST_HOLIDAYS.*real calendar dates/);
  });
});
