import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import pino from 'pino';
import { createSink, type Sink, type SinkOptions } from './sink';
import { connectionSettings } from '../../topics/ground/connections';
import { createKafka } from '../../topics/kafka';
import { createRegistry } from '../../topics/registry';
import { analyticsSettings } from '../../analytics/config';
import { createDashboardRouter } from '../../analytics/dashboard-router';
import { scheduleExport, type ExportSchedule } from '../../analytics/export';
import { scheduleFleetReport } from '../../analytics/forecast/report-schedule';
import { forecastSettings } from '../../analytics/forecast/settings';
import { createForecastRouter } from '../../analytics/forecast/router';
import { warehouseScalerSource } from '../../analytics/forecast/scaler-source';
import type { ExportTarget } from '../../analytics/export-target';
import { runProcess } from '../../topics/ground/process-main';
import { migrate } from '../../analytics/migrations';
import { createStatsRouter } from '../../analytics/stats-router';
import { openWarehouse, type Warehouse } from '../../analytics/warehouse';

export interface AnalyticsServiceOptions {
  port?: number;
  host?: string;
  /** An open warehouse; otherwise CLICKHOUSE_URL or the embedded chdb data directory. */
  warehouse?: Warehouse;
  clickhouseDataDir?: string;
  /** false: serve statistics only, without consuming Kafka. */
  sink?: boolean | Partial<Omit<SinkOptions, 'kafka' | 'registry' | 'warehouse'>>;
  /** Where the daily Parquet goes; otherwise EXPORT_DIR or EXPORT_S3_URL. */
  exportTarget?: ExportTarget;
  exportCron?: string;
  exportEnabled?: boolean;
  env?: NodeJS.ProcessEnv;
}

export interface AnalyticsService {
  url: string;
  port: number;
  warehouse: Warehouse;
  sink: Sink | null;
  exports: ExportSchedule | null;
  /** Stops HTTP, flushes and commits the sink, stops the export schedule, closes ClickHouse. */
  close(): Promise<void>;
}

/**
 * The analytics service: the one process that owns the embedded ClickHouse
 * data directory. It migrates the schema, runs the Kafka sink and the Parquet
 * export schedule, and serves /api/stats/*, /dashboard, /metrics and the
 * fleet manager's scaler calls (/api/forecasts/*).
 */
export async function startAnalyticsService(opts: AnalyticsServiceOptions = {}): Promise<AnalyticsService> {
  const env = opts.env ?? process.env;
  const infra = connectionSettings(env);
  const cfg = analyticsSettings(env);
  const logger = pino({ name: 'analytics', level: env.LOG_LEVEL ?? 'info' });

  const warehouse =
    opts.warehouse ??
    (await openWarehouse(infra.CLICKHOUSE_URL ? { url: infra.CLICKHOUSE_URL } : { dataDir: opts.clickhouseDataDir ?? infra.clickhouseDataDir }));
  const migrated = await migrate(warehouse);
  logger.info({ ...migrated }, 'schema ready');

  let sink: Sink | null = null;
  if (opts.sink !== false) {
    const kafka = createKafka(infra.brokers, 'conveyor-analytics');
    sink = createSink({ kafka, registry: createRegistry({ url: infra.registryUrl }), warehouse, logger, flushMs: cfg.sinkFlushMs, ...(cfg.sinkGroupId ? { groupId: cfg.sinkGroupId } : {}), ...(typeof opts.sink === 'object' ? opts.sink : {}) });
    await sink.start();
    logger.info({ group: sink.status().groupId }, 'sink started');
  }

  const exportEnabled = opts.exportEnabled ?? cfg.exportEnabled;
  const exports = exportEnabled ? scheduleExport(warehouse, { target: opts.exportTarget ?? cfg.exportTarget, cron: opts.exportCron ?? cfg.exportCron, logger }) : null;
  const fs = forecastSettings(env);
  const fleetReport = fs.report.enabled ? scheduleFleetReport(warehouse, fs, (msg, fields) => logger.info(fields ?? {}, msg)) : null;

  const app = express();
  app.disable('x-powered-by');
  app.use(createForecastRouter(warehouseScalerSource(warehouse, { holidays: fs.holidays })));
  app.use(createStatsRouter({ warehouse, sinkStatus: sink ? () => sink!.status() : undefined }));
  app.use(createDashboardRouter());
  app.get('/', (_req, res) => res.redirect('/dashboard'));
  app.get('/healthz', (_req, res) => res.json({ ok: true, schema: migrated.current, sink: sink?.status().state ?? 'off' }));
  app.get('/metrics', async (_req, res) => {
    res.type('text/plain').send(sink ? await sink.metrics.registry.metrics() : '');
  });

  const server = http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? cfg.port, opts.host ?? cfg.host, () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;
  const url = `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
  logger.info({ url }, 'analytics service listening');
  // Catch up on days that finished while the service was down.
  if (exports) exports.runNow().catch((err: Error & { code?: string }) => logger.warn({ code: err.code, error: err.message }, 'export failed'));

  let closing: Promise<void> | null = null;
  return {
    url,
    port,
    warehouse,
    sink,
    exports,
    close() {
      closing ??= (async () => {
        exports?.stop();
        fleetReport?.stop();
        server.closeAllConnections();
        await new Promise<void>((r) => server.close(() => r()));
        await sink?.stop();
        if (!opts.warehouse) await warehouse.close();
        logger.info({}, 'analytics service stopped');
      })();
      return closing;
    },
  };
}

// Started by `conveyor start` (or `npx tsx consumers/sink/main.ts`): the shared process life cycle,
// so SIGTERM, SIGINT or the parent's death flush the sink, commit and close ClickHouse.
if (require.main === module) {
  runProcess('analytics', async () => {
    const svc = await startAnalyticsService();
    return { ready: {}, stop: () => svc.close() };
  });
}
