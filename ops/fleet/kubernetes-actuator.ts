import { FleetError, type FleetView } from './control';
import type { Actuator, Fleet } from './fleet';

/**
 * The Kubernetes actuator: Conveyor does not start pods itself. It publishes
 * the desired executors per class (the KEDA document below, and the
 * conveyor_fleet_desired_executors gauge); KEDA's metrics-api scaler reads it
 * and the HPA sizes each class's executor Deployment. Members are what the
 * executor consumer group reports (observe(), polled): a pod that joins is
 * ready, one that leaves is stopped. Pods drain themselves on SIGTERM.
 */
export interface ObservedMember { memberId: string; hardwareClass: string; partitions: number[] }

export function createKubernetesActuator(o: { fleet: Fleet; maxPerClass: number; observe: () => Promise<ObservedMember[]>; everyMs?: number; log?: (m: string) => void }): Actuator & { poll(): Promise<void> } {
  const { fleet } = o;
  const known = new Map<string, string>();
  let timer: NodeJS.Timeout | undefined;

  async function poll() {
    const seen = await o.observe();
    const ids = new Set(seen.map((m) => m.memberId));
    for (const m of seen) {
      if (!known.has(m.memberId)) {
        const added = fleet.addMember(m.hardwareClass, 'joined the executor consumer group (a pod KEDA and the HPA started)', 'actuator', m.memberId);
        known.set(m.memberId, added.memberId);
        fleet.transition(added.memberId, 'ready', 'consuming its partitions', 'actuator');
      }
      fleet.report(known.get(m.memberId)!, { partitions: m.partitions });
    }
    for (const [seenId, id] of known) {
      if (!ids.has(seenId)) {
        fleet.transition(id, 'stopped', 'left the executor consumer group (pod removed or drained)', 'actuator');
        known.delete(seenId);
      }
    }
  }

  return {
    name: 'kubernetes',
    limit: () => o.maxPerClass,
    converge() {
      timer ??= setInterval(() => void poll().catch((err) => o.log?.(`consumer group poll failed: ${(err as Error).message}`)), o.everyMs ?? 5000);
      timer.unref?.();
    },
    drain() {
      throw new FleetError(409, 'drain_unsupported', 'Under the kubernetes actuator the executor Deployment owns its pods: lower the class with `fleet scale` and KEDA removes pods, each draining on SIGTERM (terminationGracePeriodSeconds covers the longest run), or delete the pod with kubectl.');
    },
    poll,
    async stop() {
      if (timer) clearInterval(timer);
    },
  };
}

/**
 * The document KEDA's metrics-api scaler reads: one object per class, so each
 * ScaledObject points its `valueLocation` at `<class>.desiredExecutors`
 * (GJSON syntax). With `metricType: Value` and `targetValue: "1"`, the HPA
 * runs exactly that many replicas.
 */
export function kedaDocument(view: FleetView, nowMs = Date.now()) {
  const doc: Record<string, unknown> = { generatedAtMs: nowMs, actuator: view.actuator };
  for (const c of view.classes) doc[c.hardwareClass] = { desiredExecutors: c.desired, readyExecutors: c.ready, minExecutors: c.min, maxExecutors: c.max };
  return doc as { generatedAtMs: number; actuator: string } & Record<string, { desiredExecutors: number; readyExecutors: number; minExecutors: number; maxExecutors: number }>;
}
