import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { z } from 'zod';
import { scalerWire, type ScalerSource } from './scaler-source';

/**
 * The scaler's calls over HTTP, served by the process that owns ClickHouse:
 * POST /api/forecasts/refresh (forecasts every class, stores and returns
 * them) and GET /api/forecasts/usage-minute. Not forwarded by the gateway
 * (it forwards /api/stats and /dashboard only): the fleet manager calls it.
 */
export function createForecastRouter(source: ScalerSource): Router {
  const r = express.Router();
  const bad = (res: Response, e: z.ZodError) => {
    const issue = e.issues[0]!;
    res.status(400).json({ error: { code: 'invalid_params', message: `${issue.path.join('.') || 'body'}: ${issue.message}` } });
  };
  r.post('/api/forecasts/refresh', express.json({ limit: '16kb' }), (req: Request, res: Response, next: NextFunction) => {
    const p = scalerWire.refreshRequest.safeParse(req.body);
    if (!p.success) return bad(res, p.error);
    source.refresh(p.data).then(
      (out) => res.json({ issuedMinute: out.issuedMinute, classes: Object.fromEntries(out.byClass), ...(out.bySet ? { sets: Object.fromEntries([...out.bySet].map(([hw, m]) => [hw, Object.fromEntries(m)])) } : {}) }),
      next,
    );
  });
  r.get('/api/forecasts/usage-minute', (req: Request, res: Response, next: NextFunction) => {
    const p = scalerWire.usageRequest.safeParse(req.query);
    if (!p.success) return bad(res, p.error);
    source.usageMinute(p.data).then((usage) => res.json({ usage: usage ?? null }), next);
  });
  r.use('/api/forecasts', (err: Error, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    res.status(503).json({ error: { code: 'warehouse_error', message: `The forecaster could not answer: ${err.message}` } });
  });
  return r;
}
