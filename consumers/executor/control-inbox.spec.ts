import type { RunHandle } from '../../runtimes/types';
import type { RunControl } from '../../topics/types';
import { createControlInbox } from './control-inbox';
import { newRunState, type RunState } from './run-state';

function fakeHandle() {
  const calls: string[] = [];
  const handle: RunHandle = {
    result: new Promise(() => {}),
    write: (s) => void calls.push(`write:${s}`),
    endStdin: () => void calls.push('eof'),
    cancel: () => void calls.push('cancel'),
    signal: (sig) => {
      if (sig === 'SIGNOPE') throw new Error('not a signal');
      calls.push(`signal:${sig}`);
    },
  };
  return { handle, calls };
}
const ctl = (runId: string, kind: RunControl['kind'], extra: Partial<RunControl> = {}) => ({ runId, kind, data: '', signal: '', ...extra }) as RunControl;

function setup(finished: string[] = []) {
  const running = new Map<string, RunState>();
  return { running, inbox: createControlInbox({ running, finished: (id) => finished.includes(id) }) };
}

describe('control inbox', () => {
  it('hands a started program its stdin, eof and signals at once', () => {
    const { running, inbox } = setup();
    const state = newRunState('r1', 0);
    const { handle, calls } = fakeHandle();
    state.handle = handle;
    running.set('r1', state);
    inbox.receive(ctl('r1', 'stdin', { data: 'hi\n' }));
    inbox.receive(ctl('r1', 'eof'));
    inbox.receive(ctl('r1', 'signal', { signal: 'SIGINT' }));
    inbox.receive(ctl('r1', 'cancel'));
    expect(calls).toEqual(['write:hi\n', 'eof', 'signal:SIGINT', 'cancel']);
    expect(state.cancelled).toBe(true);
  });

  it('keeps controls that overtook their run and replays them in order when the program starts', () => {
    const { running, inbox } = setup();
    inbox.receive(ctl('r2', 'stdin', { data: 'a' }));
    inbox.receive(ctl('r2', 'eof'));
    const state = newRunState('r2', 0);
    running.set('r2', state);
    expect(inbox.cancelledBeforeStart(state)).toBe(false);
    const { handle, calls } = fakeHandle();
    state.handle = handle;
    inbox.started(state);
    expect(calls).toEqual(['write:a', 'eof']);
    expect(inbox.pendingRuns).toBe(0);
  });

  it('reports a cancel that came before the start, whether the run was known yet or not', () => {
    const { running, inbox } = setup();
    inbox.receive(ctl('early', 'cancel'));
    const early = newRunState('early', 0);
    expect(inbox.cancelledBeforeStart(early)).toBe(true);
    expect(inbox.pendingRuns).toBe(0);

    const waiting = newRunState('waiting', 0);
    running.set('waiting', waiting);
    inbox.receive(ctl('waiting', 'cancel'));
    expect(waiting.cancelled).toBe(true);
    expect(inbox.cancelledBeforeStart(waiting)).toBe(true);
  });

  it('drops controls for a run that already finished', () => {
    const { inbox } = setup(['done']);
    inbox.receive(ctl('done', 'stdin', { data: 'late' }));
    expect(inbox.pendingRuns).toBe(0);
  });
});
