/**
 * The run queue's contract, as the executor's slots use it: runs go in when
 * their text is ready, a free slot takes the next one. FIFO and Conveyor's
 * scheduler both fit it, so a setting picks one (EXECUTOR_SCHEDULER).
 */
export interface QueuedRun {
  runId: string;
  /** Who the run counts for in fair shares: API key, user or address. */
  clientId: string;
  language: string;
  dependencySet: string;
  enqueuedAtMs: number;
  /** Hash of what decides the cost: language, files, flags, args, stdin. */
  sourceHash?: string;
  sessionId?: string;
}

export interface RunQueue<T extends QueuedRun> {
  push(item: T): void;
  /** The run the next free slot should start, or undefined when none waits. */
  take(now: number): T | undefined;
  remove(runId: string): T | undefined;
  readonly size: number;
  /** A taken run left its slot (scheduler bookkeeping of running work). */
  done?(runId: string, now: number): void;
  /**
   * The run the policy would start next among those whose learned cost (not a
   * prior) is at most `maxCostMs`: the express slots take these while every
   * ordinary slot is busy. A queue without it (FIFO) has no express lane.
   */
  takeShort?(now: number, maxCostMs: number): T | undefined;
}

/** One stage's predicted slot time, and what the prediction was drawn from. */
export type PredictionBasis = 'source' | 'session' | 'class' | 'prior';
export interface Prediction {
  compileMs: number;
  runMs: number;
  totalMs: number;
  basis: PredictionBasis;
  /** The same program compiled before: its artifact is expected in the compile cache. */
  cacheHitExpected: boolean;
}

/** A queued run as the executor reports it (admission, `queued` messages). */
export interface QueuePosition {
  runId: string;
  position: number;
  predictedMs: number;
  expectedStartMs: number;
}

/** What the executor reports about its queue: order, predictions, expected starts. */
export interface Inspectable {
  /** Queued runs in the order the policy would start them now, with expected starts on `slots` slots. */
  plan(now: number, slots: number): QueuePosition[];
  prediction(runId: string): Prediction | undefined;
  runningRemaining(now: number): number[];
}

export type ScheduledQueue<T extends QueuedRun> = RunQueue<T> & Inspectable;
