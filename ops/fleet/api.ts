import express, { type NextFunction, type Request, type Response } from 'express';
import type { Registry as MetricsRegistry } from 'prom-client';
import { requireOperatorToken, type OperatorToken } from '../../topics/ground/operator-token';
import { FleetError, type FleetControl } from './control';
import { kedaDocument } from './kubernetes-actuator';

/**
 * The fleet service's HTTP surface. Handlers only translate to FleetControl.
 *   GET  /healthz, /metrics                       open (counts per class, no members)
 *   GET  /keda/desired                            open (read-only; KEDA metrics-api)
 *   GET  /api/ops/fleet                           operator token
 *   POST /api/ops/fleet/classes/:class/scale      {desired, reason?}
 *   POST /api/ops/fleet/classes/:class/decisions  {desired, reason, inputs, apply} (the scaler)
 *   POST /api/ops/fleet/members/:member/drain     {reason?}
 *   GET  /api/ops/fleet/history?class=&limit=
 * Errors are {error: {code, message}}.
 */
export function fleetApi(o: { control: FleetControl; token: OperatorToken; metrics: MetricsRegistry }) {
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '64kb' }));
  // Open, so it says how many members each class has, not who they are (pids, reasons: /api/ops/fleet).
  app.get('/healthz', (_req, res) => {
    const view = o.control.list();
    res.json({ status: 'ok', managerId: view.managerId, actuator: view.actuator, classes: view.classes.map(({ members, crashLoop, ...c }) => ({ ...c, members: members.length, crashLoop: crashLoop !== null })) });
  });
  app.get('/metrics', async (_req, res) => void res.type(o.metrics.contentType).send(await o.metrics.metrics()));
  app.get('/keda/desired', (_req, res) => void res.json(kedaDocument(o.control.list())));

  const ops = express.Router();
  ops.use(requireOperatorToken(o.token));
  ops.get('/', (_req, res) => void res.json(o.control.list()));
  ops.post('/classes/:hw/scale', async (req, res) => {
    const body = (req.body ?? {}) as { desired?: unknown; reason?: unknown };
    if (typeof body.desired !== 'number') throw new FleetError(400, 'invalid_size', 'Send {"desired": <executors>} as JSON.');
    const reason = typeof body.reason === 'string' && body.reason.trim() ? body.reason.trim().slice(0, 500) : 'operator: fleet scale';
    res.json(await o.control.setDesired(String(req.params.hw), body.desired, reason, { actor: 'operator' }));
  });
  ops.post('/classes/:hw/decisions', async (req, res) => {
    const b = (req.body ?? {}) as { desired?: unknown; reason?: unknown; inputs?: unknown; apply?: unknown; actor?: unknown };
    if (typeof b.desired !== 'number' || typeof b.reason !== 'string' || typeof b.apply !== 'boolean' || typeof b.inputs !== 'object' || b.inputs === null) {
      throw new FleetError(400, 'invalid_decision', 'Send {"desired": n, "reason": "…", "inputs": {…}, "apply": true|false}.');
    }
    res.json(await o.control.decide(String(req.params.hw), { desired: b.desired, reason: b.reason.slice(0, 2000), inputs: b.inputs as Record<string, unknown>, apply: b.apply, actor: typeof b.actor === 'string' ? b.actor : 'scaler' }));
  });
  ops.post('/members/:id/drain', async (req, res) => {
    const body = (req.body ?? {}) as { reason?: unknown };
    const reason = typeof body.reason === 'string' && body.reason.trim() ? body.reason.trim().slice(0, 500) : 'operator: fleet drain';
    res.json(await o.control.drain(String(req.params.id), reason, { actor: 'operator' }));
  });
  ops.get('/history', (req, res) => {
    const limit = Number(req.query.limit ?? 100);
    if (!Number.isInteger(limit) || limit < 1 || limit > 5000) throw new FleetError(400, 'invalid_limit', 'limit must be a whole number from 1 to 5000.');
    const hw = typeof req.query.class === 'string' && req.query.class ? req.query.class : undefined;
    res.json({ events: o.control.history({ hardwareClass: hw, limit }) });
  });
  app.use('/api/ops/fleet', ops);

  app.use((_req, _res, next) => next(new FleetError(404, 'not_found', 'No such fleet endpoint; see docs/fleet.md.')));
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const e = err as FleetError & { type?: string };
    if (err instanceof FleetError) return void res.status(e.status).json(e.toJSON());
    if (e.type === 'entity.parse.failed') return void res.status(400).json({ error: { code: 'malformed_json', message: 'The request body is not valid JSON.' } });
    if (e.type === 'entity.too.large') return void res.status(413).json({ error: { code: 'request_too_large', message: 'The request body is larger than 64 KiB.' } });
    res.status(500).json({ error: { code: 'internal_error', message: `The fleet service failed: ${(err as Error).message}` } });
  });
  return app;
}
