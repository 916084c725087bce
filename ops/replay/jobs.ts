import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Warehouse } from '../../analytics/warehouse';
import { sleep } from '../../topics/ground/retry';

/**
 * What the long replay commands (`replay warehouse`, `replay export`) share:
 * a job id, a state file that a cancelled job resumes from, the record of who
 * ran what (`replay_jobs` in ClickHouse, one row per job, its latest state
 * winning), and a rate limit on the records read.
 *
 * The state file is written whole to a temporary name and renamed, so a job
 * killed while saving resumes from its previous state, never a torn one.
 */
export type JobKind = 'warehouse' | 'export';
export type JobState = 'running' | 'cancelled' | 'done' | 'failed';

export interface JobRecord<S> {
  id: string;
  kind: JobKind;
  operator: string;
  startedAtMs: number;
  updatedAtMs: number;
  state: JobState;
  /** What was asked (the command's arguments), as given the first time. */
  args: Record<string, unknown>;
  /** Where the job stands: what the kind needs to resume. */
  progress: S;
}

export class JobError extends Error {
  constructor(readonly code: 'unknown_job' | 'job_kind' | 'job_done', message: string) {
    super(message);
  }
}

/** A replay id: a prefix (rp runs, wh warehouse, ex export), the UTC second it started and a random tail. */
export const stampedId = (prefix: string): string => `${prefix}${new Date().toISOString().slice(0, 19).replace(/[-:T]/g, '')}-${randomUUID().slice(0, 6)}`;

export const newJobId = (kind: JobKind): string => stampedId(kind === 'warehouse' ? 'wh' : 'ex');

/** Who started a replay stays on record; whoever resumes it is added (once). */
export const withResumer = (operator: string, by: string): string => (operator.split(', resumed by ').includes(by) ? operator : `${operator}, resumed by ${by}`);

const fileOf = (stateDir: string, id: string) => {
  if (!/^[A-Za-z0-9_-]{1,80}$/.test(id)) throw new JobError('unknown_job', `"${id}" is not a replay job id (letters, digits, - and _).`);
  return path.join(stateDir, 'replay-jobs', `${id}.json`);
};

export function saveJob<S>(stateDir: string, job: JobRecord<S>): void {
  const file = fileOf(stateDir, job.id);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  job.updatedAtMs = Date.now();
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(job, null, 2));
  fs.renameSync(`${file}.tmp`, file);
}

/** The job to resume: it must exist, be of this kind and not be finished. Whoever resumes it is added to its operator. */
export function resumeJob<S>(stateDir: string, id: string, kind: JobKind, operator: string): JobRecord<S> {
  const file = fileOf(stateDir, id);
  if (!fs.existsSync(file)) throw new JobError('unknown_job', `No replay job ${id} under ${path.dirname(file)} to resume.`);
  const job = JSON.parse(fs.readFileSync(file, 'utf8')) as JobRecord<S>;
  if (job.kind !== kind) throw new JobError('job_kind', `Job ${id} is a ${job.kind} job, not a ${kind} job.`);
  if (job.state === 'done') throw new JobError('job_done', `Job ${id} finished at ${new Date(job.updatedAtMs).toISOString()}; nothing to resume.`);
  job.operator = withResumer(job.operator, operator);
  job.state = 'running';
  return job;
}

/** Who ran what: the job's row in replay_jobs (ReplacingMergeTree on updated_at: the latest state is the row). */
export async function recordJob(wh: Warehouse | null | undefined, job: JobRecord<unknown>, outcome: unknown = null): Promise<void> {
  if (!wh) return;
  await wh.insert('replay_jobs', [{
    job_id: job.id, kind: job.kind, operator: job.operator, started_at: job.startedAtMs, updated_at: job.updatedAtMs,
    state: job.state, args: JSON.stringify(job.args), outcome: JSON.stringify(outcome),
  }], { token: `replay-job-${job.id}-${job.state}-${job.updatedAtMs}` });
}

/**
 * Paces a reader to `perSecond` records (none: no limit). Awaited once per
 * record; it sleeps only when the reader is ahead of its schedule, and an
 * abort ends the wait at once.
 */
export function pacer(perSecond: number | undefined, signal?: AbortSignal): () => Promise<void> {
  if (!perSecond) return async () => {};
  const t0 = Date.now();
  let n = 0;
  return async () => {
    const due = t0 + (++n / perSecond) * 1000;
    const ahead = due - Date.now();
    if (ahead > 5) await sleep(ahead, signal);
  };
}
