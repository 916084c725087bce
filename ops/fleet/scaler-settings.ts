import { forecastSettings } from '../../analytics/forecast/settings';
import type { ScalerConfig } from './scaler';

/** The scaler's part of the forecast settings (analytics/forecast/settings.ts: SCALER_*). */
export function scalerSettings(e: NodeJS.ProcessEnv = process.env, defaultSlots = 1) {
  const s = forecastSettings(e, defaultSlots);
  const config: Omit<ScalerConfig, 'minExecutors' | 'maxExecutors'> = s.scaler;
  return { config, warmPools: s.warmPools, enabled: s.enabled, analyticsUrl: s.analyticsUrl, analyticsTimeoutMs: s.analyticsTimeoutMs, refreshMinutes: s.refreshMinutes };
}
export type ScalerSettings = ReturnType<typeof scalerSettings>;
