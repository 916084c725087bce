import { createConveyorQueue, type ConveyorQueueOptions } from './conveyor-queue';
import { createFifoQueue } from './fifo-queue';
import type { QueuedRun, ScheduledQueue } from './types';

export const SCHEDULERS = ['fifo', 'conveyor'] as const;
export type SchedulerKind = (typeof SCHEDULERS)[number];

/** The run queue the slots take from: Conveyor's scheduler, or FIFO as the benchmark's baseline. */
export function createRunQueue<T extends QueuedRun>(kind: SchedulerKind, opts: ConveyorQueueOptions): ScheduledQueue<T> {
  return kind === 'fifo' ? createFifoQueue<T>(opts.predictor) : createConveyorQueue<T>(opts);
}

export { createCostPredictor, type CostPredictor, type CostOutcome } from './cost-predictor';
export type { QueuedRun, RunQueue, ScheduledQueue, Prediction, QueuePosition } from './types';
