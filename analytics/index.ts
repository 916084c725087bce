/** What the rest of Conveyor uses from analytics: the service, its routers, and the pieces for tests and tools. */
export { startAnalyticsService, type AnalyticsService, type AnalyticsServiceOptions } from './service';
export { createStatsRouter, type StatsDeps } from './stats-router';
export { createDashboardRouter } from './dashboard-router';
export { openWarehouse, wrapClient, type Warehouse, type WarehouseTarget } from './warehouse';
export { migrate, migrations } from './migrations';
export { exportDay, exportFinishedDays, scheduleExport } from './export';
export { ExportError, type ExportTarget } from './export-target';
export { analyticsSettings } from './config';
export { sinkStatus, formatSinkStatus } from '../consumers/sink/status';
