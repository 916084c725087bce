import path from 'node:path';
import { z } from 'zod';
import { env, readSection } from '../ops/config/env';
import { paths } from '../ops/config/paths';

const section = z.object({
  ANALYTICS_PORT: env.port(8090),
  ANALYTICS_HOST: env.str('127.0.0.1'),
  EXPORT_DIR: z.string().min(1).optional(),
  EXPORT_CRON: z
    .string()
    .regex(/^(\S+\s+){4,5}\S+$/, 'must be a cron expression such as "15 0 * * *"')
    .default('15 0 * * *'),
  EXPORT_ENABLED: env.bool(true),
});

/** Settings of the analytics service: its HTTP port, the Parquet export, retention of raw rows. */
export function analyticsSettings(e: NodeJS.ProcessEnv = process.env) {
  const c = readSection(section, e);
  return {
    port: c.ANALYTICS_PORT,
    host: c.ANALYTICS_HOST,
    exportDir: path.resolve(c.EXPORT_DIR ?? path.join(paths(e).state, 'export')),
    exportCron: c.EXPORT_CRON,
    exportEnabled: c.EXPORT_ENABLED,
  };
}
export type AnalyticsSettings = ReturnType<typeof analyticsSettings>;
