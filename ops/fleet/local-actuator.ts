import type { FleetMemberView } from './control';
import type { Actuator, Fleet } from './fleet';

/**
 * The embedded actuator: executor processes on this machine. It converges each
 * class to its desired size — starts members, replaces a member that died
 * (after an exponential back-off, and a class whose members keep dying is
 * reported as a crash loop and retried only at the longest back-off), drains
 * the newest members on scale-in and kills one whose drain outlives the
 * longest run. The processes themselves come from a launcher passed in, so the
 * spec drives this with fakes.
 */
export interface MemberProcess {
  readonly pid: number | null;
  /** Asks the member to drain (SIGTERM): stop fetching, finish runs, checkpoint, commit, leave. */
  terminate(): void;
  kill(): void;
}

export interface MemberHooks {
  ready(): void;
  report(r: Partial<Pick<FleetMemberView, 'runsInFlight' | 'partitions' | 'cpuCores' | 'warmPools'>>): void;
  exit(code: number | null, signal: string | null): void;
}

export type Launcher = (m: { memberId: string; hardwareClass: string }, hooks: MemberHooks) => MemberProcess;

export interface LocalActuatorSettings {
  cores: number;
  restartBackoffMs: number;
  restartBackoffMaxMs: number;
  crashLoopRestarts: number;
  crashLoopWindowMs: number;
  drainTimeoutMs: number;
  startTimeoutMs: number;
}

export function createLocalActuator(o: { fleet: Fleet; launcher: Launcher; settings: LocalActuatorSettings; now?: () => number }): Actuator {
  const { fleet, settings: s } = o;
  const now = o.now ?? Date.now;
  const procs = new Map<string, MemberProcess>();
  const timers = new Map<string, NodeJS.Timeout>();
  const timedOut = new Map<string, 'start' | 'drain'>();
  const exits = new Map<string, number[]>();
  const nextStartAt = new Map<string, number>();
  const replacing = new Map<string, string[]>();
  let wake: NodeJS.Timeout | undefined;
  let wakeAt = Infinity;
  let stepping = false;
  let again = false;
  let stopped = false;

  function later(id: string, ms: number, fn: () => void) {
    clearTimeout(timers.get(id));
    const t = setTimeout(fn, ms);
    t.unref?.();
    timers.set(id, t);
  }

  function wakeUpAt(t: number) {
    if (t >= wakeAt) return;
    clearTimeout(wake);
    wakeAt = t;
    wake = setTimeout(() => {
      wakeAt = Infinity;
      converge();
    }, Math.max(0, t - now()));
    wake.unref?.();
  }

  function recentExits(hw: string) {
    const list = (exits.get(hw) ?? []).filter((t) => now() - t < s.crashLoopWindowMs);
    exits.set(hw, list);
    return list;
  }

  function launch(hw: string, reason: string) {
    const m = fleet.addMember(hw, reason);
    const id = m.memberId;
    const proc = o.launcher({ memberId: id, hardwareClass: hw }, {
      ready: () => {
        clearTimeout(timers.get(id));
        fleet.transition(id, 'ready', 'ready: consuming its partitions');
      },
      report: (r) => fleet.report(id, r),
      exit: (code, signal) => onExit(id, code, signal),
    });
    procs.set(id, proc);
    fleet.report(id, { pid: proc.pid });
    later(id, s.startTimeoutMs, () => {
      timedOut.set(id, 'start');
      proc.kill();
    });
  }

  function drainMember(m: FleetMemberView, reason: string, actor = 'manager') {
    const proc = procs.get(m.memberId);
    if (!proc) return;
    proc.terminate();
    later(m.memberId, s.drainTimeoutMs, () => {
      timedOut.set(m.memberId, 'drain');
      proc.kill();
    });
    if (m.state !== 'draining') fleet.transition(m.memberId, 'draining', reason, actor);
  }

  function onExit(id: string, code: number | null, signal: string | null) {
    clearTimeout(timers.get(id));
    timers.delete(id);
    procs.delete(id);
    const why = timedOut.get(id);
    timedOut.delete(id);
    const m = fleet.member(id);
    if (!m) return;
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    if (m.state === 'draining') {
      if (why === 'drain') fleet.transition(id, 'failed', `the drain took longer than ${s.drainTimeoutMs} ms (the longest run limit); killed`);
      else if (code === 0) fleet.transition(id, 'stopped', 'drained: finished its runs, checkpointed, committed and left the group');
      else if (signal === 'SIGTERM' && m.runsInFlight === null) fleet.transition(id, 'stopped', 'stopped while starting, before it took any run');
      else fleet.transition(id, 'failed', `${how} while draining`);
      return;
    }
    if (stopped) {
      fleet.transition(id, 'stopped', `${how} while the fleet manager stopped`);
      return;
    }
    const hw = m.hardwareClass;
    const list = recentExits(hw);
    list.push(now());
    const n = list.length;
    const looping = n >= s.crashLoopRestarts;
    const delay = looping ? s.restartBackoffMaxMs : Math.min(s.restartBackoffMaxMs, s.restartBackoffMs * 2 ** (n - 1));
    nextStartAt.set(hw, now() + delay);
    const what = why === 'start' ? `was not ready within ${s.startTimeoutMs} ms` : how;
    replacing.set(hw, [...(replacing.get(hw) ?? []), `replaces ${id}, which ${what}`]);
    if (looping) {
      fleet.crashLoop(hw, { exits: n, windowMs: s.crashLoopWindowMs, nextStartAtMs: now() + delay }, `crash loop: ${n} members of ${hw} died within ${Math.round(s.crashLoopWindowMs / 1000)} s (last: ${id} ${what}); the next start waits ${Math.round(delay / 1000)} s`);
    }
    fleet.transition(id, 'failed', `${what} unexpectedly; a replacement starts after a ${delay} ms back-off (${n} ${n === 1 ? 'exit' : 'exits'} in the window)`);
  }

  function step() {
    for (const hw of fleet.classes()) {
      const { desired } = fleet.limits(hw);
      const live = fleet.members(hw).filter((m) => m.live);
      const loop = fleet.classView(hw).crashLoop;
      if (loop && recentExits(hw).length < s.crashLoopRestarts) fleet.crashLoop(hw, null);
      if (live.length > desired) {
        // Members still starting hold no runs: stop those first, then the newest ready ones.
        const order = new Map(live.map((m, i) => [m.memberId, i]));
        const surplus = [...live].sort((a, b) => (a.state === b.state ? order.get(b.memberId)! - order.get(a.memberId)! : a.state === 'starting' ? -1 : 1)).slice(0, live.length - desired);
        for (const m of surplus) drainMember(m, `scale-in: desired ${desired}, ${live.length} running`);
      } else if (live.length < desired) {
        const at = nextStartAt.get(hw) ?? 0;
        if (now() < at) {
          wakeUpAt(at);
          continue;
        }
        // While crash-looping, one member at a time: each start is a probe.
        const n = fleet.classView(hw).crashLoop ? 1 : desired - live.length;
        for (let i = 0; i < n; i++) {
          const reason = replacing.get(hw)?.shift() ?? `scale-out: desired ${desired}, ${live.length + i} running`;
          launch(hw, reason);
        }
      }
    }
  }

  function converge() {
    if (stopped) return;
    if (stepping) {
      again = true;
      return;
    }
    stepping = true;
    try {
      do {
        again = false;
        step();
      } while (again);
    } finally {
      stepping = false;
    }
  }

  return {
    name: 'local',
    limit: () => s.cores,
    converge,
    drain: (m, reason, actor) => drainMember(m, reason, actor),
    async stop() {
      stopped = true;
      clearTimeout(wake);
      const live = fleet.members().filter((m) => m.live || m.state === 'draining');
      const gone = live.map((m) => new Promise<void>((resolve) => {
        const check = setInterval(() => {
          if (!procs.has(m.memberId)) {
            clearInterval(check);
            resolve();
          }
        }, 50);
      }));
      for (const m of live) if (m.state !== 'draining') drainMember(m, 'the fleet manager is stopping');
      await Promise.all(gone);
      for (const t of timers.values()) clearTimeout(t);
    },
  };
}
