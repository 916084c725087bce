import os from 'node:os';
import { z } from 'zod';
import { env, readSection } from '../../topics/ground/env';
import { HARDWARE_CLASSES } from '../../topics/catalog';
import { SCHEDULERS } from './scheduler';

const section = z.object({
  /** The member id the fleet manager gives this executor (its Kafka client id too); generated when unset. */
  EXECUTOR_ID: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'must be 1–100 of A-Z a-z 0-9 . _ -').optional(),
  EXECUTOR_HARDWARE_CLASS: z.enum(HARDWARE_CLASSES, { message: `must be one of ${HARDWARE_CLASSES.join(', ')}` }).default('x86_64'),
  EXECUTOR_CONCURRENCY: env.int(Math.max(1, os.cpus().length), 1, 256),
  EXECUTOR_QUEUE: env.int(64, 1, 10000),
  EXECUTOR_SESSION_TIMEOUT_MS: env.int(10000, 6000, 300000),
  BUFFER_WAIT_MS: env.int(1500, 0, 60000),
  SNAPSHOT_INTERVAL_MS: env.int(500, 50, 60000),
  FINISHED_RUNS_REMEMBERED: env.int(20000, 100, 1000000),
  // ... and at most this many MiB of their outputs (a result carries its whole output).
  FINISHED_RUNS_REMEMBERED_MIB: env.int(256, 16, 65536),
  REQUEST_TTL_MS: env.int(300000, 1000, 7 * 24 * 3600 * 1000),
  // Which queued run gets the next free slot (docs/decisions/scheduling-policy.md); fifo is the baseline.
  EXECUTOR_SCHEDULER: z.enum(SCHEDULERS, { message: `must be one of ${SCHEDULERS.join(', ')}` }).default('conveyor'),
  SCHEDULER_SLACK: z.coerce.number().min(0).max(100).default(2),
  SCHEDULER_PRIOR_MS: env.int(200, 1, 600000),
  // Express lane: while every slot is busy, this many more runs whose learned cost is at most EXPRESS_MAX_MS start at once
  // (unset: one per slot, so each core is oversubscribed by one short run at most; 0 turns the lane off).
  SCHEDULER_EXPRESS_SLOTS: z.coerce.number().int().min(0).max(256).optional(),
  SCHEDULER_EXPRESS_MAX_MS: env.int(250, 1, 60000),
  // A topic namespace such as "replay.": the group consumes and produces only there (a replay's candidate executors).
  EXECUTOR_TOPIC_NAMESPACE: z.string().regex(/^([a-z][a-z0-9-]*\.)*$/, 'must be empty or dot-terminated words, e.g. "replay."').default(''),
  /** How long a record's decode is retried while the schema registry is unreachable, before the record is fetched again. */
  REGISTRY_RETRY_MS: env.int(60000, 1000, 3600000),
  SCHEDULER_REPORT_MS: env.int(250, 20, 60000),
  // A queue report waits this long to leave with the next result (one produce request for both); 0: at once. Admission reads
  // the reports at most every 200 ms (producers/gateway/admission.ts), so 25 ms costs it little; at 10, a fifth to a half
  // of the reports under load found no result in time and went alone (docs/decisions/bench-baselines-and-hops.md, Session 16).
  SCHEDULER_REPORT_LINGER_MS: env.int(25, 0, 1000),
  // A run's output chunks wait this long to leave with the next ones or with the result (consumers/executor/output-linger.ts); 0: at once.
  OUTPUT_LINGER_MS: env.int(5, 0, 1000),
  // A run the scheduler expects (from runs seen) to take at most this long holds its output up to this long: on a busy
  // machine a short run's result comes 10–50 ms after its output, and output and result then share one produce request.
  OUTPUT_SHORT_RUN_MS: env.int(150, 0, 10000),
  // While runs wait for a slot, the next fetch waits up to this long, or until none waits (consumers/executor/fetch-rest.ts); 0: never.
  EXECUTOR_FETCH_REST_MS: env.int(25, 0, 1000),
});

export function executorSettings(e: NodeJS.ProcessEnv = process.env) {
  return readSection(section, e);
}
export type ExecutorSettings = ReturnType<typeof executorSettings>;
