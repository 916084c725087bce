import type { RunHandle } from '../../runtimes/types';

/**
 * One run while this executor holds it: from the request taken until its
 * result is published. `handle` is null until the engine starts the program
 * (the run may wait for its text or a slot); `cancelled` records a cancel that
 * came before there was a handle to kill; `done` settles once the result is
 * published and the request's offset may be committed. `abandoned`: a
 * rebalance gave the request's partition to another member, which runs it;
 * this run is cancelled and its result is never published.
 */
export interface RunState {
  runId: string;
  partition: number;
  handle: RunHandle | null;
  cancelled: boolean;
  abandoned: boolean;
  done: Promise<void>;
}

export function newRunState(runId: string, partition: number): RunState {
  return { runId, partition, handle: null, cancelled: false, abandoned: false, done: Promise.resolve() };
}
