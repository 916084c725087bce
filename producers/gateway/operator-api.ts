import { Router } from 'express';
import type { Kafka } from 'kafkajs';
import { listTopics } from '../../topics/admin';
import { requireOperatorToken, type OperatorToken } from '../../topics/ground/operator-token';
import type { ExecutorLoad } from '../../topics/types';
import { ApiError } from './errors';
import type { Catalog } from './runtime-catalog';

/**
 * The gateway's operator endpoints (docs/decisions/fleet-operator-token.md),
 * all behind the operator token:
 *   GET /api/ops/topics    the broker's topics against the catalog (`conveyor topics list`)
 *   GET /api/ops/runtimes  every runtime with the hardware classes that have live
 *                          executors, and each executor's queue as it last reported it
 * What the public reads (/api/v1/runtimes, /api/v2/runtimes, /api/stats) stays open.
 */
export function operatorApi(deps: { kafka: Kafka; catalog: Catalog; token: OperatorToken; liveClasses: () => string[]; executorReports: () => ExecutorLoad[] }) {
  const r = Router();
  r.use(requireOperatorToken(deps.token));
  r.get('/topics', async (_req, res) => {
    const rows = await listTopics(deps.kafka).catch((err: Error) => {
      throw new ApiError(503, 'broker_unavailable', `The broker could not list its topics: ${err.message}`);
    });
    res.json({ topics: rows });
  });
  r.get('/runtimes', (_req, res) => {
    const live = new Set(deps.liveClasses());
    res.json({
      runtimes: deps.catalog.runtimes().map((i) => ({ language: i.language, version: i.version, dependencySets: i.dependencySets, hardwareClasses: i.hardwareClasses, liveHardwareClasses: i.hardwareClasses.filter((c) => live.has(c)) })),
      limits: deps.catalog.limits(),
      executors: deps.executorReports().map(({ queue: _queue, ...load }) => load),
    });
  });
  return r;
}
