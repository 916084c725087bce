import type { FleetEvent } from '../../topics/types';
import { createFleetEvents } from './events';
import { createFleet } from './fleet';
import { createLocalActuator, type MemberHooks } from './local-actuator';

const settings = { cores: 8, restartBackoffMs: 1000, restartBackoffMaxMs: 30000, crashLoopRestarts: 3, crashLoopWindowMs: 60000, drainTimeoutMs: 10000, startTimeoutMs: 5000 };

/** A fleet over fake processes: each launch is recorded, and the test decides when it is ready or exits. */
function setup(desired = 1, o: Partial<typeof settings> = {}) {
  const sent: FleetEvent[] = [];
  const events = createFleetEvents({ sink: { send: async (e) => void sent.push(...e) }, managerId: 'fm-test' });
  const fleet = createFleet({ classes: { x86_64: { desired, min: 0, max: 6 } }, events, managerId: 'fm-test' });
  const procs = new Map<string, { hooks: MemberHooks; terminated: boolean; killed: boolean }>();
  const actuator = createLocalActuator({
    fleet,
    settings: { ...settings, ...o },
    launcher: ({ memberId }, hooks) => {
      const p = { hooks, terminated: false, killed: false };
      procs.set(memberId, p);
      return { pid: 1000 + procs.size, terminate: () => void (p.terminated = true), kill: () => void (p.killed = true) };
    },
  });
  fleet.attach(actuator);
  const state = () => Object.fromEntries(fleet.members().map((m) => [m.memberId, m.state]));
  const ids = () => [...procs.keys()];
  return { fleet, actuator, procs, state, ids, events, sent };
}

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

describe('local actuator', () => {
  it('starts members up to the desired size and marks them ready when they say so', () => {
    const { actuator, procs, state, fleet } = setup(2);
    actuator.converge();
    expect(procs.size).toBe(2);
    expect(Object.values(state())).toEqual(['starting', 'starting']);
    for (const p of procs.values()) p.hooks.ready();
    expect(Object.values(state())).toEqual(['ready', 'ready']);
    expect(fleet.control.list().classes[0]).toMatchObject({ desired: 2, actual: 2, ready: 2 });
  });

  it('replaces a member that died after a back-off, and says which member it replaces', () => {
    const { actuator, procs, ids, fleet, state } = setup(1);
    actuator.converge();
    const [first] = ids();
    procs.get(first!)!.hooks.ready();
    procs.get(first!)!.hooks.exit(null, 'SIGKILL');
    expect(state()[first!]).toBe('failed');
    expect(fleet.member(first!)!.reason).toMatch(/killed by SIGKILL unexpectedly.*1000 ms back-off/);
    expect(procs.size).toBe(1);
    jest.advanceTimersByTime(999);
    expect(procs.size).toBe(1);
    jest.advanceTimersByTime(2);
    expect(procs.size).toBe(2);
    const second = ids()[1]!;
    expect(fleet.member(second)!.reason).toBe(`replaces ${first}, which was killed by SIGKILL`);
  });

  it('backs off exponentially and reports a crash loop instead of restarting in a tight loop', () => {
    const { actuator, procs, ids, fleet, sent } = setup(1);
    actuator.converge();
    const delays: number[] = [];
    const looping: boolean[] = [];
    for (let i = 0; i < 4; i++) {
      const id = ids().at(-1)!;
      procs.get(id)!.hooks.exit(1, null);
      looping.push(fleet.control.list().classes[0]!.crashLoop !== null);
      const before = procs.size;
      let waited = 0;
      while (procs.size === before) {
        jest.advanceTimersByTime(100);
        waited += 100;
      }
      delays.push(waited);
    }
    // 1 s, 2 s, then the crash loop (3 exits in the window) waits the longest back-off.
    expect(delays[0]).toBeGreaterThanOrEqual(1000);
    expect(delays[0]).toBeLessThan(1200);
    expect(delays[1]).toBeGreaterThanOrEqual(2000);
    expect(delays[1]).toBeLessThan(2200);
    expect(delays[2]).toBeGreaterThanOrEqual(30000);
    expect(looping).toEqual([false, false, true, true]);
    expect(fleet.control.history().some((e) => /^crash loop: 3 members of x86_64 died within 60 s/.test(e.reason))).toBe(true);
    expect(procs.size).toBe(5);
    void sent;
  });

  it('treats a member that is not ready in time as failed and replaces it', () => {
    const { actuator, procs, ids, fleet } = setup(1);
    actuator.converge();
    const first = ids()[0]!;
    jest.advanceTimersByTime(5000);
    expect(procs.get(first)!.killed).toBe(true);
    procs.get(first)!.hooks.exit(null, 'SIGKILL');
    expect(fleet.member(first)!.reason).toMatch(/was not ready within 5000 ms/);
  });

  it('drains the newest members on scale-in, and a drained member that exits 0 is stopped, not replaced', async () => {
    const { actuator, procs, ids, fleet, state } = setup(3);
    actuator.converge();
    for (const p of procs.values()) p.hooks.ready();
    await fleet.control.setDesired('x86_64', 1, 'test scale-in');
    const draining = ids().filter((id) => state()[id] === 'draining');
    expect(draining).toEqual(ids().slice(1));
    expect(draining.every((id) => procs.get(id)!.terminated)).toBe(true);
    for (const id of draining) procs.get(id)!.hooks.exit(0, null);
    expect(draining.map((id) => state()[id])).toEqual(['stopped', 'stopped']);
    jest.advanceTimersByTime(60000);
    expect(procs.size).toBe(3);
    expect(fleet.control.list().classes[0]).toMatchObject({ desired: 1, actual: 1 });
  });

  it('kills a member whose drain outlives the drain timeout and reports it', async () => {
    const { actuator, procs, ids, fleet } = setup(2);
    actuator.converge();
    for (const p of procs.values()) p.hooks.ready();
    await fleet.control.setDesired('x86_64', 1, 'scale-in');
    const last = ids()[1]!;
    jest.advanceTimersByTime(10000);
    expect(procs.get(last)!.killed).toBe(true);
    procs.get(last)!.hooks.exit(null, 'SIGKILL');
    expect(fleet.member(last)).toMatchObject({ state: 'failed', reason: expect.stringMatching(/drain took longer than 10000 ms/) });
  });

  it('an operator drain replaces the member so the class keeps its size', async () => {
    const { actuator, procs, ids, fleet, state } = setup(1);
    actuator.converge();
    const first = ids()[0]!;
    procs.get(first)!.hooks.ready();
    await fleet.control.drain(first, 'operator drain');
    expect(state()[first]).toBe('draining');
    expect(procs.size).toBe(2);
    expect(fleet.control.history()[0]).toMatchObject({ kind: 'member_state', state: 'starting' });
    expect(fleet.control.history().find((e) => e.memberId === first && e.state === 'draining')).toMatchObject({ actor: 'operator', reason: 'operator drain' });
    await expect(fleet.control.drain('nobody', 'x')).rejects.toMatchObject({ status: 404, code: 'member_not_found' });
  });
});

describe('fleet control', () => {
  it('clamps the desired size to min and max and says so in the event', async () => {
    const { fleet } = setup(1);
    const v = await fleet.control.setDesired('x86_64', 50, 'too many', { actor: 'operator' });
    expect(v.desired).toBe(6);
    expect(fleet.control.history().find((e) => e.kind === 'desired_changed')).toMatchObject({ kind: 'desired_changed', desired: 6, max: 6, actor: 'operator', reason: expect.stringContaining('asked 50; clamped to 6') });
    await expect(fleet.control.setDesired('x86_64', -1, 'x')).rejects.toMatchObject({ code: 'invalid_size' });
    await expect(fleet.control.setDesired('sparc', 1, 'x')).rejects.toMatchObject({ status: 404, code: 'class_unknown' });
  });

  it('records a scaling decision with its inputs, and applies it only when asked to', async () => {
    const { fleet, events, sent } = setup(1);
    await fleet.control.decide('x86_64', { desired: 4, reason: 'ramp ahead', inputs: { forecast: 3.5 }, apply: false });
    expect(fleet.limits('x86_64').desired).toBe(1);
    await fleet.control.decide('x86_64', { desired: 4, reason: 'ramp ahead', inputs: { forecast: 3.5 }, apply: true });
    expect(fleet.limits('x86_64').desired).toBe(4);
    await events.flush();
    const kinds = sent.filter((e) => e.kind !== 'member_state').map((e) => [e.kind, e.applied, e.desired]);
    expect(kinds).toEqual([['scale_decision', false, 4], ['scale_decision', true, 4], ['desired_changed', true, 4]]);
    expect(JSON.parse(sent.find((e) => e.kind === 'scale_decision')!.inputsJson!)).toEqual({ forecast: 3.5 });
    expect(sent.find((e) => e.kind === 'scale_decision')!.reason).toBe('observe only: ramp ahead');
  });

  it('keeps events in order on the topic when a write fails and is retried', async () => {
    jest.useRealTimers();
    const got: string[] = [];
    let fail = true;
    const events = createFleetEvents({ sink: { send: async (e) => { if (fail) { fail = false; throw new Error('broker away'); } got.push(...e.map((x) => x.reason)); } }, managerId: 'fm' });
    events.record({ kind: 'desired_changed', hardwareClass: 'x86_64', reason: 'a' });
    events.record({ kind: 'desired_changed', hardwareClass: 'x86_64', reason: 'b' });
    await events.flush(5000);
    expect(got).toEqual(['a', 'b']);
  });
});
