import path from 'node:path';
import { z } from 'zod';
import { ConfigError, env, readSection } from '../topics/ground/env';
import { paths } from '../topics/ground/paths';
import { Secret } from '../topics/ground/secret';
import { parseS3Url, s3Target, type ExportTarget } from './export-target';

const httpOrigin = z
  .string()
  .optional()
  .refine((v) => v === undefined || /^https?:\/\/[^/?#@]+\/?$/.test(v), 'must be http(s)://host[:port] of an S3-compatible store, without a path');

/**
 * How long the sink gathers rows into one insert under load (the first rows after a quiet
 * spell go at once). Every insert makes a part in each table its materialized views feed
 * (up to 7 for runs) and merges follow, so the sink's CPU goes mostly with inserts, not rows:
 * under 3,000 edits/s, 3 s instead of 1 s cost the sink ~40% less; under 50-150 runs/s,
 * 6 s instead of 3 s another 20-40% (docs/decisions/bench-baselines-and-hops.md, Session 13).
 * Rows reach ClickHouse up to this much later; the dashboard refreshes every 10 s, the scaler reads minutes.
 */
export const SINK_FLUSH_DEFAULT_MS = 6_000;

const section = z.object({
  ANALYTICS_PORT: env.port(8090),
  ANALYTICS_HOST: env.str('127.0.0.1'),
  EXPORT_DIR: z.string().min(1).optional(),
  EXPORT_S3_URL: z
    .string()
    .optional()
    .superRefine((v, ctx) => {
      const parsed = v === undefined ? null : parseS3Url(v);
      if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
    }),
  EXPORT_S3_ENDPOINT: httpOrigin,
  EXPORT_CRON: z
    .string()
    .regex(/^(\S+\s+){4,5}\S+$/, 'must be a cron expression such as "15 0 * * *"')
    .default('15 0 * * *'),
  EXPORT_ENABLED: env.bool(true),
  /** How long the sink gathers rows into one insert at most (each insert makes parts in every table its views feed, and merges follow). */
  SINK_FLUSH_MS: env.int(SINK_FLUSH_DEFAULT_MS, 50, 60_000),
  /**
   * The analytics service's CPU priority (nice, 0 = the same as the run path) when Conveyor starts it on
   * the run path's machine: its inserts come in bursts (every SINK_FLUSH_MS, 100-250 ms of CPU at 150 runs/s)
   * that, at full priority, take a core from the runs and show as their p99 (docs/decisions/bench-baselines-and-hops.md, Session 14).
   */
  ANALYTICS_NICE: env.int(10, 0, 19),
  /** The sink's consumer group instead of conveyor-sink (the bench's own sink reads from where it starts, not a backlog). */
  SINK_GROUP_ID: z.string().regex(/^[A-Za-z0-9._-]{1,200}$/, 'must be a Kafka consumer group id: letters, digits, ".", "_" or "-"').optional(),
  AWS_ACCESS_KEY_ID: z.string().optional(),
  AWS_SECRET_ACCESS_KEY: z.string().optional(),
  AWS_SESSION_TOKEN: z.string().optional(),
  AWS_REGION: z.string().regex(/^[a-z0-9-]+$/, 'must be an AWS region such as eu-west-1').optional(),
});

/** Settings of the analytics service: its HTTP port, the Parquet export, retention of raw rows. */
export function analyticsSettings(e: NodeJS.ProcessEnv = process.env) {
  const c = readSection(section, e);
  return {
    port: c.ANALYTICS_PORT,
    host: c.ANALYTICS_HOST,
    exportTarget: exportTarget(c, e),
    exportCron: c.EXPORT_CRON,
    exportEnabled: c.EXPORT_ENABLED,
    sinkGroupId: c.SINK_GROUP_ID,
    sinkFlushMs: c.SINK_FLUSH_MS,
    nice: c.ANALYTICS_NICE,
  };
}
export type AnalyticsSettings = ReturnType<typeof analyticsSettings>;

/** A directory unless EXPORT_S3_URL is set; the AWS_* variables matter only then. */
function exportTarget(c: z.infer<typeof section>, e: NodeJS.ProcessEnv): ExportTarget {
  if (!c.EXPORT_S3_URL) {
    if (c.EXPORT_S3_ENDPOINT) throw new ConfigError('EXPORT_S3_ENDPOINT', 'is set but EXPORT_S3_URL is not; set EXPORT_S3_URL=s3://bucket/prefix to export to S3');
    return { kind: 'directory', dir: path.resolve(c.EXPORT_DIR ?? path.join(paths(e).state, 'export')) };
  }
  if (c.EXPORT_DIR) throw new ConfigError('EXPORT_S3_URL', 'and EXPORT_DIR are both set; the export goes to one place, so unset one of them');
  const loc = parseS3Url(c.EXPORT_S3_URL);
  if (typeof loc === 'string') throw new ConfigError('EXPORT_S3_URL', loc);
  if (loc.endpoint && c.EXPORT_S3_ENDPOINT) {
    throw new ConfigError('EXPORT_S3_ENDPOINT', `is set but EXPORT_S3_URL already names its store (${loc.endpoint}); use s3://${loc.bucket}/… with the endpoint, or the http(s) URL alone`);
  }
  if (Boolean(c.AWS_ACCESS_KEY_ID) !== Boolean(c.AWS_SECRET_ACCESS_KEY)) {
    const missing = c.AWS_ACCESS_KEY_ID ? 'AWS_SECRET_ACCESS_KEY' : 'AWS_ACCESS_KEY_ID';
    throw new ConfigError(missing, 'is missing: the S3 export needs both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither (ClickHouse then uses its own credentials)');
  }
  const credentials =
    c.AWS_ACCESS_KEY_ID && c.AWS_SECRET_ACCESS_KEY
      ? { accessKeyId: c.AWS_ACCESS_KEY_ID, secretAccessKey: new Secret(c.AWS_SECRET_ACCESS_KEY), sessionToken: c.AWS_SESSION_TOKEN ? new Secret(c.AWS_SESSION_TOKEN) : null }
      : null;
  return s3Target(loc, { endpoint: c.EXPORT_S3_ENDPOINT, region: c.AWS_REGION, credentials });
}
