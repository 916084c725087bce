import type { RunControl } from '../../topics/types';
import type { RunState } from './run-state';

const MAX_PENDING_RUNS = 10000;

/** Hands a control record to a started program; a signal goes to the program itself (an unknown name is refused by the engine). */
export function applyControl(state: Pick<RunState, 'handle' | 'cancelled'>, c: RunControl, onRefused: (c: RunControl, err: Error) => void = () => {}) {
  if (c.kind === 'cancel') {
    state.cancelled = true;
    state.handle?.cancel();
  } else if (c.kind === 'stdin') state.handle?.write(c.data);
  else if (c.kind === 'eof') state.handle?.endStdin();
  else if (c.kind === 'signal') {
    try {
      state.handle?.signal(c.signal || 'SIGTERM');
    } catch (err) {
      onRefused(c, err as Error);
    }
  }
}

/**
 * runs.control.<class> records (cancel, stdin, eof, signal) for the runs of this
 * executor. Control records can overtake their run request (separate topics),
 * so what arrives before the program starts is kept until it does (at most
 * MAX_PENDING_RUNS runs, oldest dropped first), unless the run already finished.
 */
export function createControlInbox(o: { running: ReadonlyMap<string, RunState>; finished: (runId: string) => boolean; onRefused?: (c: RunControl, err: Error) => void }) {
  const pending = new Map<string, RunControl[]>();
  return {
    receive(c: RunControl) {
      const state = o.running.get(c.runId);
      if (state?.handle) return applyControl(state, c, o.onRefused);
      if (state && c.kind === 'cancel') state.cancelled = true;
      if (!o.finished(c.runId)) {
        pending.set(c.runId, [...(pending.get(c.runId) ?? []), c]);
        if (pending.size > MAX_PENDING_RUNS) pending.delete(pending.keys().next().value!);
      }
    },
    /** Whether the run was cancelled before it started; if so, its kept controls are dropped. */
    cancelledBeforeStart(state: RunState): boolean {
      if (!state.cancelled && !pending.get(state.runId)?.some((c) => c.kind === 'cancel')) return false;
      pending.delete(state.runId);
      return true;
    },
    /** The program started: hand it what came before. */
    started(state: RunState) {
      for (const c of pending.get(state.runId) ?? []) applyControl(state, c, o.onRefused);
      pending.delete(state.runId);
    },
    get pendingRuns() {
      return pending.size;
    },
  };
}
export type ControlInbox = ReturnType<typeof createControlInbox>;
