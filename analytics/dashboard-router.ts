import path from 'node:path';
import express, { type Router } from 'express';

/** Chart.js ships a UMD build; it is served from node_modules: the dashboard needs no CDN. */
function chartJsFile(): string {
  return path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.min.js');
}

/** The usage dashboard at /dashboard: a static page that reads /api/stats/*. */
export function createDashboardRouter(): Router {
  const r = express.Router();
  const dir = path.join(__dirname, 'dashboard');
  r.get('/dashboard', (_req, res) => res.sendFile(path.join(dir, 'index.html')));
  r.get('/dashboard/vendor/chart.js', (_req, res) => res.type('application/javascript').sendFile(chartJsFile()));
  r.use('/dashboard', express.static(dir, { index: false, maxAge: 0 }));
  return r;
}
