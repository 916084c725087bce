import { connectionSettings } from '../../topics/ground/connections';
import { pidAlive } from '../../topics/ground/pid';
import { createKafka } from '../../topics/kafka';
import { createRegistry } from '../../topics/registry';
import { sleep } from '../../topics/ground/retry';
import { kafkaBrokers } from '../infra/kafka/kafka';
import { infraSettings } from '../infra/settings';
import { busiestLeader, type ChaosCluster } from './cluster';
import type { ChaosRow } from './measure';
import type { PeopleReport } from './people';
import { traceRuns, type RunTrail } from './run-trail';
import { chaosStack, type ChaosStack } from './stack';
import { underLoad } from './under-load';

/**
 * Broker faults under steady load. On the 3-broker cluster (replication 3,
 * min.insync.replicas 2, acks=all) the broker that leads the most partitions
 * is killed with kill -9 and restarted after `downMs`: its partitions get new
 * leaders among the in-sync replicas, so no acknowledged edit is lost and no
 * run is. On the single shared broker, `brokerRestart` stops and starts it
 * (a restart as an upgrade does): clients wait, nothing acknowledged is lost.
 */
export async function brokerLeaderKill(o: { cluster: ChaosCluster; kills: number; downMs: number; people: number; onProgress?: (m: string) => void; onReport?: (r: PeopleReport) => void }): Promise<ChaosRow & { lost?: RunTrail[] }> {
  const say = o.onProgress ?? (() => undefined);
  const stack = chaosStack({ env: o.cluster.env, onProgress: say });
  try {
    // The gateway needs no executor to start: both at once.
    await Promise.all([stack.executor('x86_64'), stack.gateway()]);
    const note = `3 brokers, RF 3, min ISR 2; ${o.kills}× the busiest leader killed, down ${o.downMs / 1000} s`;
    const row = await underLoad({ scenario: 'partition leaders\' broker kill -9', note, urls: [stack.url()], people: o.people, onProgress: say, onReport: o.onReport }, async (fault) => {
      for (let k = 0; k < o.kills; k++) {
        const leader = await busiestLeader(o.cluster.addresses);
        const broker = o.cluster.brokers.find((b) => b.name === `kafka-${leader.nodeId}`)!;
        const { pid } = await broker.state();
        if (pid === null) throw new Error(`chaos: broker ${broker.name} is not running`);
        fault(`kill -9 ${broker.name} (leads ${leader.leads} of ${leader.of} partitions)`);
        process.kill(pid, 'SIGKILL');
        while (pidAlive(pid)) await sleep(50);
        await sleep(o.downMs);
        await broker.start(say);
        say(`${broker.name} restarted`);
      }
    });
    // A lost run says where it stopped (read while the cluster still runs).
    if (!row.lostRunIds?.length) return row;
    const lost = await traceRuns(createKafka(o.cluster.addresses, 'conveyor-chaos-trail'), createRegistry({ url: connectionSettings().registryUrl }), row.lostRunIds);
    for (const t of lost) say(`lost run ${t.runId}: ${t.hop} ${JSON.stringify(t)}`);
    return { ...row, lost };
  } finally {
    await stack.stopAll();
  }
}

/** Stops the single local broker for `downMs` and starts it again, `restarts` times. */
export async function brokerRestart(o: { restarts: number; downMs: number; people: number; stack?: ChaosStack; onProgress?: (m: string) => void }): Promise<ChaosRow> {
  const say = o.onProgress ?? (() => undefined);
  const s = infraSettings();
  if (!s.localKafka) throw Object.assign(new Error('chaos: the broker restart needs the local broker of `conveyor up` (KAFKA_BROKERS is set)'), { code: 'not_local' });
  const brokers = kafkaBrokers(s);
  const stack = o.stack ?? chaosStack({ onProgress: say });
  try {
    if (!o.stack) {
      // The gateway needs no executor to start: both at once.
      await Promise.all([stack.executor('x86_64'), stack.gateway()]);
    }
    const note = `${brokers.length} broker(s) stopped together ${o.restarts}×, down ${o.downMs / 1000} s`;
    return await underLoad({ scenario: 'broker restart', note, urls: [stack.url()], people: o.people, onProgress: say }, async (fault) => {
      for (let k = 0; k < o.restarts; k++) {
        fault('broker stopped');
        await Promise.all(brokers.map((b) => b.stop()));
        await sleep(o.downMs);
        await Promise.all(brokers.map((b) => b.start(say)));
        say('broker started again');
      }
    });
  } finally {
    if (!o.stack) await stack.stopAll();
  }
}
