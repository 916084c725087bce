import type { RunHandle } from '../../runtimes/types';

/**
 * One run while this executor holds it: from the request taken until its
 * result is published. `handle` is null until the engine starts the program
 * (the run may wait for its text or a slot); `cancelled` records a cancel that
 * came before there was a handle to kill; `done` settles once the result is
 * published and the request's offset may be committed.
 */
export interface RunState {
  runId: string;
  handle: RunHandle | null;
  cancelled: boolean;
  done: Promise<void>;
}

export function newRunState(runId: string): RunState {
  return { runId, handle: null, cancelled: false, done: Promise.resolve() };
}
