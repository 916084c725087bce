import type { ExecutorLoad } from '../../../topics/types';
import { expectedStarts } from './ledger';
import type { Inspectable } from './types';

/** Longest queue list one report carries (a record stays far below the topic's message size). */
export const REPORTED_POSITIONS = 1000;

export interface ReportContext {
  executorId: string;
  hardwareClass: string;
  scheduler: string;
  concurrency: number;
  capacity: number;
  partitions: number[];
  running: number;
  /** Requests of the owned partitions still in Kafka (../backlog.ts). */
  backlog: number;
  backlogAtMs: number;
}

/** The executor's queue as one `executors.load` record (pure: the spec builds it from a hand-made queue). */
export function buildLoad(queue: Inspectable & { size: number }, ctx: ReportContext, now: number): ExecutorLoad {
  const plan = queue.plan(now, ctx.concurrency);
  let queuedWorkMs = 0;
  for (const p of plan) queuedWorkMs += p.predictedMs;
  // A run queued behind all of these: when would it start?
  const order = [...plan.map((p) => ({ runId: p.runId, costMs: p.predictedMs })), { runId: '', costMs: 0 }];
  const drainMs = Math.max(0, expectedStarts(order, queue.runningRemaining(now), ctx.concurrency, now).at(-1)!.expectedStartMs - now);
  return {
    executorId: ctx.executorId, hardwareClass: ctx.hardwareClass, scheduler: ctx.scheduler, timestampMs: now,
    concurrency: ctx.concurrency, capacity: ctx.capacity, partitions: ctx.partitions, running: ctx.running,
    queued: queue.size, queuedWorkMs, drainMs, backlog: ctx.backlog, backlogAtMs: ctx.backlogAtMs, queue: plan.slice(0, REPORTED_POSITIONS),
  };
}

/** The least time between two reports that pokes cause: pokes inside it share the next report. */
export const REPORT_MIN_GAP_MS = 50;

/**
 * Publishes the queue every `intervalMs` while it changes, and at least every
 * `heartbeatMs` (the gateway treats an executor silent for longer as unknown).
 * A poke (a run queued or started) reports sooner, but at most once per
 * `minGapMs`: under load every run queues and starts, and each report is a
 * record every gateway decodes and turns into `queued` messages for every
 * waiting client.
 */
export function createQueueReporter(deps: {
  send: (load: ExecutorLoad) => Promise<void>;
  snapshot: (now: number) => ExecutorLoad;
  intervalMs: number;
  heartbeatMs: number;
  minGapMs?: number;
  onError: (err: Error) => void;
}) {
  const minGapMs = deps.minGapMs ?? REPORT_MIN_GAP_MS;
  let timer: NodeJS.Timeout | undefined;
  let soon: NodeJS.Timeout | undefined;
  let poked = false;
  let last = '';
  let lastSentAt = -Infinity;
  let sending = false;
  async function tick() {
    if (sending) return;
    poked = false;
    const now = Date.now();
    const load = deps.snapshot(now);
    const shape = JSON.stringify([load.running, load.backlog, load.queue.map((q) => [q.runId, q.position])]);
    if (shape === last && now - lastSentAt < deps.heartbeatMs) return;
    sending = true;
    try {
      await deps.send(load);
      last = shape;
      lastSentAt = now;
    } catch (err) {
      deps.onError(err as Error);
    } finally {
      sending = false;
      // Poked while this report was on the wire: that change goes in the next one.
      if (poked) schedule();
    }
  }
  function schedule() {
    if (soon || sending) return;
    const wait = lastSentAt + minGapMs - Date.now();
    if (wait <= 0) return void tick();
    soon = setTimeout(() => ((soon = undefined), void tick()), wait);
    soon.unref();
  }
  return {
    start() {
      timer = setInterval(() => void tick(), deps.intervalMs);
      timer.unref();
    },
    /** Reports soon (a run was queued or started): the gateway sees it within minGapMs instead of the interval. */
    poke() {
      poked = true;
      schedule();
    },
    async stop() {
      if (timer) clearInterval(timer);
      if (soon) clearTimeout(soon);
    },
  };
}
