/** What the rest of Conveyor uses from analytics: its routers, the warehouse, migrations and export. The process that serves them beside the sink is consumers/sink/main.ts. */
export { createStatsRouter, type StatsDeps } from './stats-router';
export { createDashboardRouter } from './dashboard-router';
export { openWarehouse, wrapClient, type Warehouse, type WarehouseTarget } from './warehouse';
export { migrate, migrations } from './migrations';
export { exportDay, exportFinishedDays, scheduleExport } from './export';
export { ExportError, type ExportTarget } from './export-target';
export { analyticsSettings } from './config';
