import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import { cacheHitRatio, GROUP_BY, latencyPercentiles, METRICS, queueWait, schedulingStats, STEPS, statusBreakdown, summary, usageSeries, type Filters } from './queries';
import type { Warehouse } from './warehouse';
import { fleetDecisions, fleetHistory, fleetSeries } from './fleet-queries';

export interface StatsDeps {
  warehouse: Warehouse;
  /**
   * Live state of the sink in this process, when there is one; served as it is
   * (consumers/sink's SinkStatus), so analytics needs no knowledge of the sink.
   */
  sinkStatus?: () => object | Promise<object>;
  now?: () => number;
}

export class BadRequest extends Error {
  readonly code = 'invalid_params';
}

const MAX_POINTS = 5000;
const MAX_RANGE_MS = 400 * 86400_000;

const instant = z
  .string()
  .max(40)
  .transform((s, ctx) => {
    const ms = /^\d{1,16}$/.test(s) ? Number(s) : Date.parse(s);
    if (!Number.isFinite(ms)) {
      ctx.addIssue({ code: 'custom', message: 'must be epoch milliseconds or an ISO 8601 time' });
      return z.NEVER;
    }
    return ms;
  });
const label = z.string().min(1).max(100).regex(/^[\w.+-]+$/, 'must be letters, digits, . _ + -');
const common = z.object({
  from: instant.optional(),
  to: instant.optional(),
  groupBy: z.enum(Object.keys(GROUP_BY) as [keyof typeof GROUP_BY, ...(keyof typeof GROUP_BY)[]]).default('hardware_class'),
  hardwareClass: label.optional(),
  dependencySet: label.optional(),
  language: label.optional(),
});
const seriesParams = common.extend({
  metric: z.enum(Object.keys(METRICS) as [keyof typeof METRICS, ...(keyof typeof METRICS)[]]).default('runs'),
  step: z.enum(Object.keys(STEPS) as [keyof typeof STEPS, ...(keyof typeof STEPS)[]]).default('5m'),
});

function parse<S extends z.ZodType>(schema: S, req: Request): z.infer<S> {
  const r = schema.safeParse(req.query);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new BadRequest(`${issue.path.join('.') || 'query'}: ${issue.message}`);
  }
  return r.data;
}

function rangeOf(p: { from?: number; to?: number }, now: number) {
  const toMs = p.to ?? now;
  const fromMs = p.from ?? toMs - 86400_000;
  if (fromMs >= toMs) throw new BadRequest('from: must be before to');
  if (toMs - fromMs > MAX_RANGE_MS) throw new BadRequest('from: the range may span at most 400 days');
  return { fromMs, toMs };
}

const filtersOf = (p: Filters): Filters => ({ hardwareClass: p.hardwareClass, dependencySet: p.dependencySet, language: p.language });

type Handler = (req: Request, res: Response) => Promise<unknown>;
const json = (h: Handler) => (req: Request, res: Response, next: NextFunction) => {
  h(req, res).then((body) => res.json(body), next);
};

/**
 * JSON statistics under /api/stats/: totals, usage series, latency
 * percentiles, status breakdown, cache hits, queue wait, sink lag. Handlers
 * only translate HTTP to the queries in queries.ts.
 */
export function createStatsRouter(deps: StatsDeps): Router {
  const now = deps.now ?? Date.now;
  const wh = deps.warehouse;
  const r = express.Router();

  r.get('/api/stats/meta', json(async () => ({ metrics: Object.keys(METRICS), groupBy: Object.keys(GROUP_BY), steps: Object.keys(STEPS) })));

  r.get(
    '/api/stats/summary',
    json(async (req) => {
      const p = parse(z.object({ at: instant.optional() }), req);
      const at = p.at ?? now();
      return { at, windows: await summary(wh, at) };
    }),
  );

  r.get(
    '/api/stats/series',
    json(async (req) => {
      const p = parse(seriesParams, req);
      const range = rangeOf(p, now());
      if ((range.toMs - range.fromMs) / (STEPS[p.step] * 1000) > MAX_POINTS) throw new BadRequest(`step: more than ${MAX_POINTS} points; choose a longer step`);
      const series = await usageSeries(wh, { metric: p.metric, groupBy: p.groupBy, step: p.step, range, filters: filtersOf(p) });
      return { metric: p.metric, unit: METRICS[p.metric].unit, step: p.step, groupBy: p.groupBy, ...range, series };
    }),
  );

  const grouped = <T>(path: string, q: (w: Warehouse, a: { groupBy: keyof typeof GROUP_BY; range: { fromMs: number; toMs: number }; filters: Filters }) => Promise<T>) =>
    r.get(
      path,
      json(async (req) => {
        const p = parse(common, req);
        const range = rangeOf(p, now());
        return { groupBy: p.groupBy, ...range, rows: await q(wh, { groupBy: p.groupBy, range, filters: filtersOf(p) }) };
      }),
    );
  grouped('/api/stats/latency', latencyPercentiles);
  grouped('/api/stats/status', statusBreakdown);
  grouped('/api/stats/cache', cacheHitRatio);
  grouped('/api/stats/queue-wait', queueWait);
  grouped('/api/stats/scheduling', schedulingStats);

  r.get(
    '/api/stats/fleet',
    json(async (req) => {
      const p = parse(z.object({ from: instant.optional(), to: instant.optional(), step: z.enum(Object.keys(STEPS) as [keyof typeof STEPS, ...(keyof typeof STEPS)[]]).default('5m') }), req);
      const range = rangeOf(p, now());
      if ((range.toMs - range.fromMs) / (STEPS[p.step] * 1000) > MAX_POINTS) throw new BadRequest(`step: more than ${MAX_POINTS} points; choose a longer step`);
      return { step: p.step, ...range, points: await fleetSeries(wh, { ...range, stepSeconds: STEPS[p.step] }) };
    }),
  );

  r.get(
    '/api/stats/fleet/events',
    json(async (req) => {
      const p = parse(z.object({ class: z.string().regex(/^[a-z0-9_]{1,32}$/, 'must be a hardware class such as x86_64').optional(), limit: z.coerce.number().int().min(1).max(1000).default(100) }), req);
      return { events: await fleetHistory(wh, { hardwareClass: p.class, limit: p.limit }) };
    }),
  );

  r.get(
    '/api/stats/fleet/decisions',
    json(async (req) => {
      const p = parse(z.object({ from: instant.optional(), to: instant.optional(), limit: z.coerce.number().int().min(1).max(1000).default(50) }), req);
      const range = rangeOf(p, now());
      return { ...range, decisions: await fleetDecisions(wh, { ...range, limit: p.limit }) };
    }),
  );

  r.get(
    '/api/stats/lag',
    json(async () => (deps.sinkStatus ? await deps.sinkStatus() : { state: 'not_running', totalLag: null, lag: [] })),
  );

  r.use('/api/stats', (_req: Request, res: Response) => {
    res.status(404).json({ error: { code: 'not_found', message: 'No such statistics endpoint; see /api/stats/meta.' } });
  });
  r.use((err: Error, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    if (err instanceof BadRequest) return res.status(400).json({ error: { code: err.code, message: err.message } });
    res.status(503).json({ error: { code: 'warehouse_error', message: `The statistics store could not answer: ${err.message}` } });
  });
  return r;
}
