import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AssignerProtocol, type Kafka } from 'kafkajs';
import { executorGroupId, ROUTED_PARTITIONS, topics } from '../../topics/catalog';
import { createTypedProducer } from '../../topics/codec';
import type { OperatorToken } from '../../topics/ground/operator-token';
import type { Registry } from '../../topics/registry';
import type { ScalerSource } from '../../analytics/forecast/scaler-source';
import { kafkaBacklog } from './backlog';
import { fleetApi } from './api';
import { createFleetEvents, kafkaFleetSink } from './events';
import { createFleet, type ClassLimits } from './fleet';
import { createKubernetesActuator, type ObservedMember } from './kubernetes-actuator';
import { createLocalActuator } from './local-actuator';
import { processLauncher } from './local-launcher';
import { createFleetMetrics } from './metrics';
import { createPoolChannel } from './pool-channel';
import { asScalerFleet, createScalerLoop, type ScalerLoop } from './scaler-loop';
import type { ScalerSettings } from './scaler-settings';
import type { FleetSettings } from './settings';

/**
 * The fleet manager: the fleets of the configured classes, their actuator,
 * the ops.fleet event stream and the HTTP API (operator API, KEDA document,
 * metrics), and the scaler's minute loop when one is configured (SCALER_MODE
 * observe or act). `npm start` runs it as its own process (ops/fleet/main.ts);
 * the executors of the local actuator are its children.
 */
export interface FleetServiceDeps {
  kafka: Kafka;
  registry: Registry;
  settings: FleetSettings;
  token: OperatorToken;
  logDir: string;
  /** Extra environment of every executor (tests shorten timeouts). */
  executorEnv?: NodeJS.ProcessEnv;
  log?: (msg: string, fields?: object) => void;
  /** The scaler: its settings (off: no loop) and where it reads forecasts and usage. */
  scaler?: {
    settings: ScalerSettings;
    source: ScalerSource;
    /** Runs waiting per class; default the executor group's lag on its requests topic. */
    backlog?: (hardwareClass: string) => Promise<number>;
    /** The scaler's clock (tests compress it); default Date.now. */
    now?: () => number;
    /** false: the caller ticks the loop itself (tests). */
    start?: boolean;
  };
}

/** Members of the executor groups as the broker sees them (the kubernetes actuator's view). */
export function groupObserver(kafka: Kafka, classes: string[]): () => Promise<ObservedMember[]> {
  const admin = kafka.admin();
  let connected: Promise<void> | undefined;
  return async () => {
    connected ??= admin.connect();
    await connected;
    const { groups } = await admin.describeGroups(classes.map((c) => executorGroupId(c)));
    return groups.flatMap((g, i) =>
      g.members.map((m) => {
        let partitions: number[] = [];
        try {
          partitions = (AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment[topics.edits.name] ?? []) as number[];
        } catch {
          // An assignment from another assigner: partitions unknown.
        }
        return { memberId: m.clientId, hardwareClass: classes[i]!, partitions };
      }),
    );
  };
}

export async function startFleetService(d: FleetServiceDeps) {
  const s = d.settings;
  const managerId = `fm-${randomUUID().slice(0, 8)}`;
  const producer = await createTypedProducer(d.kafka, d.registry);
  const events = createFleetEvents({ sink: kafkaFleetSink(producer), managerId, onError: (err) => d.log?.(`fleet event not written yet: ${err.message}`) });
  const names = [...new Set([...Object.keys(s.FLEET_DESIRED), ...Object.keys(s.FLEET_MIN), ...Object.keys(s.FLEET_MAX)])];
  const limit = s.FLEET_ACTUATOR === 'local' ? s.FLEET_CORES : ROUTED_PARTITIONS;
  const classes: Record<string, ClassLimits> = Object.fromEntries(
    names.map((hw) => [hw, { desired: 0, min: s.FLEET_MIN[hw] ?? 0, max: s.FLEET_MAX[hw] ?? limit }]),
  );
  const fleet = createFleet({ classes, events, managerId });
  const actuator =
    s.FLEET_ACTUATOR === 'local'
      ? createLocalActuator({
          fleet,
          launcher: processLauncher({ logDir: d.logDir, env: d.executorEnv }),
          settings: {
            cores: s.FLEET_CORES, restartBackoffMs: s.FLEET_RESTART_BACKOFF_MS, restartBackoffMaxMs: s.FLEET_RESTART_BACKOFF_MAX_MS,
            crashLoopRestarts: s.FLEET_CRASH_LOOP_RESTARTS, crashLoopWindowMs: s.FLEET_CRASH_LOOP_WINDOW_MS, drainTimeoutMs: s.FLEET_DRAIN_TIMEOUT_MS, startTimeoutMs: s.FLEET_START_TIMEOUT_MS,
          },
        })
      : createKubernetesActuator({ fleet, maxPerClass: limit, observe: groupObserver(d.kafka, names), log: d.log });
  fleet.attach(actuator);
  for (const hw of names) await fleet.control.setDesired(hw, s.FLEET_DESIRED[hw] ?? 0, `fleet manager ${managerId} started (${s.FLEET_ACTUATOR} actuator, FLEET_DESIRED)`, { actor: 'manager' });
  actuator.converge();

  let scaler: ScalerLoop | null = null;
  const backlog = d.scaler?.settings.enabled && !d.scaler.backlog ? kafkaBacklog(d.kafka) : null;
  if (d.scaler?.settings.enabled) {
    scaler = createScalerLoop({
      source: d.scaler.source, fleet: asScalerFleet(fleet.control), backlog: d.scaler.backlog ?? backlog!.backlog, settings: d.scaler.settings, now: d.scaler.now,
      pools: createPoolChannel({ events, producer, managerId }),
      log: (msg) => d.log?.(msg),
    });
    if (d.scaler.start !== false) scaler.start();
  }

  const metrics = createFleetMetrics(fleet.control);
  const server = http.createServer(fleetApi({ control: fleet.control, token: d.token, metrics }));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(s.FLEET_PORT, s.FLEET_HOST, resolve);
  });
  const url = `http://${s.FLEET_HOST}:${(server.address() as AddressInfo).port}`;

  return {
    managerId,
    url,
    fleet,
    control: fleet.control,
    /** The scaler's minute loop (null when SCALER_MODE is off or no scaler was given). */
    scaler,
    /** Resolves when every class has its desired members ready (or rejects at the deadline). */
    async converged(timeoutMs: number) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const behind = fleet.control.list().classes.filter((c) => c.ready < c.desired);
        if (!behind.length) return;
        if (Date.now() > deadline) throw new Error(`fleet not ready within ${timeoutMs} ms: ${behind.map((c) => `${c.hardwareClass} ${c.ready}/${c.desired}`).join(', ')}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop() {
      await scaler?.stop();
      await backlog?.stop();
      await new Promise<void>((r) => server.close(() => r()));
      await actuator.stop();
      await events.flush().catch((err) => d.log?.(`fleet events lost at stop: ${(err as Error).message}`));
      await producer.disconnect();
    },
  };
}
export type FleetService = Awaited<ReturnType<typeof startFleetService>>;
