import { createExecutorPresence, type GroupMembers } from './executor-presence';
import { executorGroupId } from '../../topics/catalog';

function setup(o: { reported?: string[]; groups?: Record<string, number> } = {}) {
  let t = 1000;
  const state = { reported: o.reported ?? [], groups: o.groups ?? {}, lookups: 0, fail: false };
  const presence = createExecutorPresence({
    classes: ['x86_64', 'arm64', 'gpu'],
    reported: () => state.reported,
    describe: async (ids): Promise<GroupMembers[]> => {
      state.lookups++;
      if (state.fail) throw new Error('broker away');
      return ids.map((groupId) => ({ groupId, members: Array.from({ length: Object.entries(state.groups).find(([c]) => executorGroupId(c) === groupId)?.[1] ?? 0 }) }));
    },
    lookupFreshMs: 5000,
    now: () => t,
  });
  return { presence, state, advance: (ms: number) => (t += ms) };
}

describe('executor presence', () => {
  it('counts a class with a fresh load report as live without looking its group up', async () => {
    const { presence, state } = setup({ reported: ['x86_64'] });
    expect(presence.has('x86_64')).toBe(true);
    expect(presence.has('arm64')).toBe(false);
    expect(presence.classes()).toEqual(['x86_64']);
    expect(state.lookups).toBe(0);
  });

  it('looks a class without reports up in its executor group, and trusts that answer for lookupFreshMs only', async () => {
    const { presence, state, advance } = setup({ groups: { arm64: 1 } });
    await presence.refresh();
    expect(presence.has('arm64')).toBe(true);
    expect(presence.has('gpu')).toBe(false);
    advance(5001);
    expect(presence.has('arm64')).toBe(false);
    state.groups = {};
    await presence.refresh();
    expect(presence.has('arm64')).toBe(false);
    expect(state.lookups).toBe(2);
  });

  it('stops counting a class once its reports go stale and its group is empty', async () => {
    const { presence, state } = setup({ reported: ['x86_64'] });
    expect(presence.has('x86_64')).toBe(true);
    state.reported = [];
    await presence.refresh();
    expect(presence.has('x86_64')).toBe(false);
  });

  it('shares one lookup among callers asking at once, and keeps the last answer when the lookup fails', async () => {
    const { presence, state } = setup({ groups: { gpu: 2 } });
    await Promise.all([presence.refresh(), presence.refresh(), presence.refresh()]);
    expect(state.lookups).toBe(1);
    state.fail = true;
    await presence.refresh();
    expect(state.lookups).toBe(2);
    expect(presence.has('gpu')).toBe(true);
  });
});
