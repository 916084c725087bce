import type { FleetMemberState } from '../../topics/types';
import { FleetError, type FleetClassView, type FleetControl, type FleetMemberView, type FleetView } from './control';
import type { FleetEvents } from './events';

/**
 * The fleets' state: per hardware class a desired size within min and max,
 * and members with a state and the reason for it. Pure bookkeeping — the
 * actuator (local processes, or Kubernetes through KEDA) does the work and
 * tells the fleet what happened; every change becomes an `ops.fleet` event.
 */
export interface ClassLimits { desired: number; min: number; max: number }

export interface Member extends FleetMemberView {
  /** Members in starting or ready count towards the class's actual size. */
  readonly live: boolean;
}

/** What turns desired into actual: the fleet calls it, it reports back through the fleet. */
export interface Actuator {
  readonly name: 'local' | 'kubernetes';
  /** The most executors of a class this actuator can run (local: this machine's cores). */
  limit(hardwareClass: string): number;
  /** Moves the actual fleet towards the desired one; called after every change. */
  converge(): void;
  /** Starts draining one member; throws a FleetError when this actuator cannot. */
  drain(member: FleetMemberView, reason: string, actor?: string): void;
  stop(): Promise<void>;
}

export interface CrashLoop { exits: number; windowMs: number; nextStartAtMs: number }

export function createFleet(o: { classes: Record<string, ClassLimits>; events: FleetEvents; managerId: string; now?: () => number; keepGone?: number }) {
  const now = o.now ?? Date.now;
  const keepGone = o.keepGone ?? 20;
  const limits = new Map(Object.entries(o.classes).map(([hw, l]) => [hw, { ...l }]));
  const members = new Map<string, FleetMemberView>();
  const crashLoops = new Map<string, CrashLoop | null>();
  let actuator: Actuator | undefined;
  let seq = 0;

  const isLive = (s: FleetMemberState) => s === 'starting' || s === 'ready';
  const ofClass = (hw: string) => [...members.values()].filter((m) => m.hardwareClass === hw);
  const actualOf = (hw: string) => ofClass(hw).filter((m) => isLive(m.state)).length;

  function classOf(hw: string) {
    const l = limits.get(hw);
    if (!l) throw new FleetError(404, 'class_unknown', `There is no fleet for hardware class ${JSON.stringify(hw)}; classes: ${[...limits.keys()].join(', ')}.`);
    return l;
  }

  function maxOf(hw: string) {
    const l = classOf(hw);
    return Math.min(l.max, actuator ? actuator.limit(hw) : l.max);
  }

  function classView(hw: string): FleetClassView {
    const l = classOf(hw);
    const ms = ofClass(hw).sort((a, b) => a.startedAtMs - b.startedAtMs);
    return {
      hardwareClass: hw, desired: l.desired, min: l.min, max: maxOf(hw), actual: actualOf(hw), ready: ms.filter((m) => m.state === 'ready').length,
      crashLoop: crashLoops.get(hw) ?? null, members: ms.map((m) => ({ ...m })),
    };
  }

  /** Drops the oldest stopped and failed members beyond keepGone per class (the history keeps them). */
  function prune(hw: string) {
    const gone = ofClass(hw).filter((m) => !isLive(m.state) && m.state !== 'draining').sort((a, b) => a.sinceMs - b.sinceMs);
    for (const m of gone.slice(0, Math.max(0, gone.length - keepGone))) members.delete(m.memberId);
  }

  function changed() {
    actuator?.converge();
  }

  async function setDesired(hw: string, n: number, reason: string, opt: { actor?: string; inputs?: Record<string, unknown>; kind?: 'desired_changed' } = {}) {
    const l = classOf(hw);
    if (!Number.isInteger(n) || n < 0) throw new FleetError(400, 'invalid_size', `The desired size must be a whole number of executors, 0 or more (got ${JSON.stringify(n)}).`);
    const max = maxOf(hw);
    const clamped = Math.max(l.min, Math.min(max, n));
    const note = clamped !== n ? ` (asked ${n}; clamped to ${clamped}: min ${l.min}, max ${max})` : '';
    const previous = l.desired;
    l.desired = clamped;
    o.events.record({
      kind: 'desired_changed', hardwareClass: hw, desired: clamped, actual: actualOf(hw), min: l.min, max, actor: opt.actor ?? 'operator',
      reason: `${reason}${note}; was ${previous}`, inputsJson: opt.inputs ? JSON.stringify(opt.inputs) : null,
    });
    changed();
    return classView(hw);
  }

  const fleet = {
    attach(a: Actuator) {
      actuator = a;
    },
    classes: () => [...limits.keys()],
    limits: (hw: string) => ({ ...classOf(hw), max: maxOf(hw) }),
    members: (hw?: string) => [...members.values()].filter((m) => !hw || m.hardwareClass === hw).map((m) => ({ ...m, live: isLive(m.state) }) as Member),
    member: (id: string) => members.get(id),
    classView,

    /** A new member in state starting; the actuator launches it. */
    addMember(hw: string, reason: string, actor = 'manager', memberId?: string): FleetMemberView {
      classOf(hw);
      const t = now();
      const m: FleetMemberView = {
        memberId: memberId ?? `executor-${hw}-${o.managerId.slice(-4)}-${++seq}`, hardwareClass: hw, state: 'starting', reason, sinceMs: t, startedAtMs: t,
        pid: null, runsInFlight: null, partitions: null, cpuCores: null, warmPools: null,
      };
      members.set(m.memberId, m);
      o.events.record({ kind: 'member_state', hardwareClass: hw, memberId: m.memberId, state: 'starting', actual: actualOf(hw), desired: classOf(hw).desired, actor, reason });
      return m;
    },

    /** Records a member's new state and why; stopped and failed members stay listed for a while. */
    transition(id: string, state: FleetMemberState, reason: string, actor = 'manager') {
      const m = members.get(id);
      if (!m || m.state === state) return;
      const previous = m.state;
      if (previous === 'stopped' || previous === 'failed') return;
      m.state = state;
      m.reason = reason;
      m.sinceMs = now();
      if (!isLive(state)) m.runsInFlight = state === 'draining' ? m.runsInFlight : 0;
      o.events.record({ kind: 'member_state', hardwareClass: m.hardwareClass, memberId: id, state, previousState: previous, actual: actualOf(m.hardwareClass), desired: classOf(m.hardwareClass).desired, actor, reason });
      prune(m.hardwareClass);
      if (state !== 'draining') changed();
    },

    /** What the member last said about itself (pid, runs in flight, partitions, CPU). */
    report(id: string, r: Partial<Pick<FleetMemberView, 'pid' | 'runsInFlight' | 'partitions' | 'cpuCores' | 'warmPools'>>) {
      const m = members.get(id);
      if (m) Object.assign(m, r);
    },

    /** Sets (or clears) a class's crash loop; a newly detected one is an event. */
    crashLoop(hw: string, loop: CrashLoop | null, reason?: string) {
      const was = crashLoops.get(hw) ?? null;
      crashLoops.set(hw, loop);
      if (loop && !was && reason) o.events.record({ kind: 'member_state', hardwareClass: hw, state: 'failed', actual: actualOf(hw), desired: classOf(hw).desired, actor: 'manager', reason });
      if (!loop && was) o.events.record({ kind: 'member_state', hardwareClass: hw, actual: actualOf(hw), desired: classOf(hw).desired, actor: 'manager', reason: reason ?? 'crash loop over: no member exited within the window' });
    },
  };

  const control: FleetControl = {
    setDesired: (hw, n, reason, opt) => setDesired(hw, n, reason, opt),
    async decide(hw, d) {
      const l = classOf(hw);
      if (!Number.isInteger(d.desired) || d.desired < 0) throw new FleetError(400, 'invalid_size', `A decision's desired size must be a whole number of executors, 0 or more (got ${JSON.stringify(d.desired)}).`);
      const max = maxOf(hw);
      o.events.record({
        kind: 'scale_decision', hardwareClass: hw, desired: d.desired, actual: actualOf(hw), min: l.min, max, applied: d.apply,
        actor: d.actor ?? 'scaler', reason: d.apply ? d.reason : `observe only: ${d.reason}`, inputsJson: JSON.stringify(d.inputs),
      });
      if (!d.apply || d.desired === l.desired) return classView(hw);
      return setDesired(hw, d.desired, `scaler: ${d.reason}`, { actor: d.actor ?? 'scaler' });
    },
    list(): FleetView {
      return { actuator: actuator?.name ?? 'none', managerId: o.managerId, classes: [...limits.keys()].map(classView) };
    },
    async drain(id, reason, opt = {}) {
      const m = members.get(id);
      if (!m) throw new FleetError(404, 'member_not_found', `No member ${JSON.stringify(id)} in this fleet; \`conveyor fleet list\` shows them.`);
      if (!isLive(m.state)) throw new FleetError(409, 'member_not_active', `Member ${id} is ${m.state}; only starting or ready members can be drained.`);
      if (!actuator) throw new FleetError(503, 'no_actuator', 'The fleet has no actuator yet.');
      actuator.drain(m, reason, opt.actor ?? 'operator');
      changed();
      return { ...m };
    },
    history: (q) => o.events.recent(q),
  };

  return { ...fleet, control };
}
export type Fleet = ReturnType<typeof createFleet>;
