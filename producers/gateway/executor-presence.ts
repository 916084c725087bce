import type { Kafka } from 'kafkajs';
import { executorGroupId } from '../../topics/catalog';

/** One executor group as describeGroups answers it: only whether it has members matters here. */
export interface GroupMembers { groupId: string; members: unknown[] }

/**
 * Which hardware classes have a live executor. A run for a class with no
 * executor is refused at once instead of waiting in a topic forever.
 *
 * Every executor reports its queue on executors.load at least every 2 s
 * (consumers/executor/scheduler/queue-report.ts) and admission keeps the
 * fresh reports (ADMISSION_STALE_MS): a class with one is live, and asking
 * costs no request. Only a class without one (no executor running, or one
 * that joined and has not reported yet) is looked up in the executor groups,
 * when a run asks for it (`refresh`), and that answer holds for `lookupFreshMs`.
 * The gateway used to describe the groups every 3 s whether anyone asked or not:
 * a FindCoordinator per class and a DescribeGroups, 1.3 requests a second.
 */
export function createExecutorPresence(deps: {
  classes: readonly string[];
  /** The hardware classes of the fresh executors.load reports. */
  reported: () => Iterable<string>;
  describe: (groupIds: string[]) => Promise<GroupMembers[]>;
  lookupFreshMs?: number;
  now?: () => number;
}) {
  const now = deps.now ?? Date.now;
  const freshMs = deps.lookupFreshMs ?? 5000;
  /** Class → when a lookup last found members in its group. */
  const lookedUp = new Map<string, number>();
  let inFlight: Promise<void> | undefined;

  function has(c: string): boolean {
    for (const r of deps.reported()) if (r === c) return true;
    const at = lookedUp.get(c);
    return at !== undefined && now() - at <= freshMs;
  }

  async function lookUp() {
    try {
      const groups = await deps.describe(deps.classes.map((c) => executorGroupId(c)));
      const at = now();
      for (const c of deps.classes) {
        if (groups.find((g) => g.groupId === executorGroupId(c))?.members.length) lookedUp.set(c, at);
        else lookedUp.delete(c);
      }
    } catch {
      /* keep the last known state */
    }
  }

  return {
    has,
    /** Looks the groups up now; callers asking meanwhile share the one lookup. */
    refresh(): Promise<void> {
      inFlight ??= lookUp().finally(() => (inFlight = undefined));
      return inFlight;
    },
    classes: () => deps.classes.filter(has),
  };
}
export type ExecutorPresence = Pick<ReturnType<typeof createExecutorPresence>, 'has' | 'refresh'>;

/** The presence of a gateway: describeGroups over one admin connection for the life of the gateway. */
export function executorPresence(kafka: Kafka, classes: readonly string[], reported: () => Iterable<string>) {
  const admin = kafka.admin();
  const presence = createExecutorPresence({ classes, reported, describe: async (ids) => (await admin.describeGroups(ids)).groups });
  return {
    ...presence,
    async start() {
      await admin.connect();
      // Until the first reports arrive (within 2 s), what the groups say.
      await presence.refresh();
    },
    async stop() {
      await admin.disconnect().catch(() => {});
    },
  };
}
