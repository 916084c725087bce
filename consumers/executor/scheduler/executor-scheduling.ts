import { createHash } from 'node:crypto';
import type { SourceFile } from '../../../runtimes/types';
import type { ExecutorLoad, RunRequest, RunResultRecord } from '../../../topics/types';
import type { ExecutorSettings } from '../settings';
import { createCostPredictor } from './cost-predictor';
import { createRunQueue } from './index';
import { buildLoad, createQueueReporter } from './queue-report';
import type { QueuedRun } from './types';

/**
 * The scheduler as the executor uses it: the run queue its slots take from
 * (EXECUTOR_SCHEDULER), the cost predictor that learns from every finished
 * run, the queue report on `executors.load`, and the scheduling fields of
 * each result.
 */
export function createExecutorScheduling(deps: {
  settings: ExecutorSettings;
  executorId: string;
  owned: () => ReadonlySet<number>;
  active: () => number;
  /** Requests of the owned partitions still in Kafka. */
  backlog: () => { count: number; atMs: number };
  send: (load: ExecutorLoad) => Promise<void>;
  logger: { warn(o: object, m?: string): void };
}) {
  const { settings } = deps;
  const predictor = createCostPredictor({ priorMs: settings.SCHEDULER_PRIOR_MS });
  const queue = createRunQueue<QueuedRun>(settings.EXECUTOR_SCHEDULER, { predictor, slack: settings.SCHEDULER_SLACK });
  const reporter = createQueueReporter({
    send: deps.send,
    snapshot: (now) =>
      buildLoad(queue, {
        executorId: deps.executorId, hardwareClass: settings.EXECUTOR_HARDWARE_CLASS, scheduler: settings.EXECUTOR_SCHEDULER,
        concurrency: settings.EXECUTOR_CONCURRENCY, capacity: settings.EXECUTOR_QUEUE, partitions: [...deps.owned()], running: deps.active(), backlog: deps.backlog().count, backlogAtMs: deps.backlog().atMs,
      }, now),
    intervalMs: settings.SCHEDULER_REPORT_MS,
    heartbeatMs: 2000,
    onError: (err) => deps.logger.warn({ err: err.message }, 'queue report not published'),
  });

  return {
    queue,
    reporter,
    /** What the slots queue for a request whose text is ready. */
    queued(req: RunRequest, files: SourceFile[]): QueuedRun {
      const sourceHash = createHash('sha1').update(JSON.stringify([req.language, req.languageVersion, req.dependencySet, files, req.compilerFlags, req.args, req.stdin])).digest('base64url');
      return { runId: req.runId, clientId: req.userId, language: req.language, dependencySet: req.dependencySet, enqueuedAtMs: Date.now(), sourceHash, sessionId: req.sessionId };
    },
    /** The result's scheduling fields, read when the run got its slot (the prediction is forgotten when it ends). */
    fields(run: QueuedRun): Partial<RunResultRecord> {
      const p = queue.prediction(run.runId);
      return {
        queuedAtMs: run.enqueuedAtMs, scheduler: settings.EXECUTOR_SCHEDULER, predictionBasis: p?.basis ?? '',
        predictedCompileMs: Math.round(p?.compileMs ?? 0), predictedRunMs: Math.round(p?.runMs ?? 0),
      };
    },
    /** Teaches the predictor what the run cost in its slot (not for runs the executor or a cancel cut short). */
    learn(run: QueuedRun, r: RunResultRecord) {
      if (r.status === 'internal_error' || r.status === 'cancelled') return;
      const compileMs = r.compile?.wallMs ?? 0;
      predictor.learn({
        language: run.language, dependencySet: run.dependencySet, sourceHash: run.sourceHash, sessionId: run.sessionId, compileMs,
        runMs: Math.max(0, r.finishedAtMs - r.startedAtMs - compileMs), cacheHit: r.cacheHit, compiled: r.compile?.status === 'ok',
      });
    },
  };
}
export type ExecutorScheduling = ReturnType<typeof createExecutorScheduling>;
