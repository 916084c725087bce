import { brokerLeaderKill } from '../../ops/chaos/brokers';
import { chaosCluster, type ChaosCluster } from '../../ops/chaos/cluster';
import type { PeopleReport } from '../../ops/chaos/people';
import { traceRuns } from '../../ops/chaos/run-trail';
import { connectionSettings } from '../../topics/ground/connections';
import { createRegistry } from '../../topics/registry';
import { requestsTopic, topics } from '../../topics/catalog';
import { createKafka } from '../../topics/kafka';

/**
 * The 3-broker cluster and its chaos, short (the bench kills 3 times, each
 * broker down 10 s): the partition leaders' broker killed under load. The
 * single broker's restart is in services.test.ts.
 */
const say = (m: string) => process.env.CHAOS_VERBOSE && console.log(m);

describe('a 3-broker cluster', () => {
  let cluster: ChaosCluster;
  beforeAll(async () => {
    cluster = await chaosCluster(say);
  }, 180_000);
  afterAll(async () => {
    await cluster?.stop();
  }, 60_000);

  it('replicates every topic 3 times with min.insync.replicas 2', async () => {
    const admin = createKafka(cluster.addresses, 'chaos-test').admin();
    await admin.connect();
    try {
      const meta = await admin.fetchTopicMetadata({ topics: [topics.edits.name, requestsTopic('x86_64').name, topics.results.name] });
      for (const t of meta.topics) for (const p of t.partitions) expect(p.replicas).toHaveLength(3);
      const { resources } = await admin.describeConfigs({ resources: [{ type: 2, name: topics.edits.name, configNames: ['min.insync.replicas'] }], includeSynonyms: false });
      expect(resources[0]!.configEntries.find((e) => e.configName === 'min.insync.replicas')?.configValue).toBe('2');
    } finally {
      await admin.disconnect();
    }
  });

  it('loses no acknowledged edit and no run when the partition leaders\' broker is killed with kill -9 under load', async () => {
    let report: PeopleReport | undefined;
    const row = await brokerLeaderKill({ cluster, kills: 1, downMs: 5000, people: 4, onProgress: say, onReport: (r) => (report = r) });
    console.log(JSON.stringify(row));
    // The trail a lost run would print (run-trail.ts) follows an answered one to its gateway.
    const answered = report!.runs.find((r) => r.status === 'ok')!;
    const [trail] = await traceRuns(createKafka(cluster.addresses, 'chaos-test'), createRegistry({ url: connectionSettings().registryUrl }), [answered.runId]);
    expect(trail!.hop).toBe('result read by its gateway');
    expect(trail!.results.map((r) => r.status)).toEqual(['ok']);
    expect(row.runs).toBeGreaterThan(4);
    expect(row.runsLost).toBe(0);
    expect(row.editsLost).toBe(0);
    expect(row.duplicates).toBe(0);
    expect(row.recoveryMs).not.toBeNull();
  }, 240_000);
});

