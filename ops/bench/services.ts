import path from 'node:path';
import { paths } from '../../topics/ground/paths';
import { status } from '../infra/stack';
import { httpReady, startService, stopService, type RunningService } from '../services/launcher';
import { startExecutorProcess, startGatewayProcess } from '../services/processes';
import { cgroupDirOf, findDescendant, type CpuRoots } from './cpu';
import { commitGroupOffsets, endOffsets } from '../../consumers/sink/offsets';
import { sinkTopics } from '../../consumers/sink/sink';
import { analyticsSettings } from '../../analytics/config';
import { groupName } from '../../topics/catalog';
import { connectionSettings } from '../../topics/ground/connections';
import { createKafka } from '../../topics/kafka';

/**
 * The bench's sink has a group of its own, moved to the topics' end before it starts: it loads
 * what the bench makes happen, not the edits of earlier runs (the edits section alone runs no
 * sink) or of an `npm start`, whose own sink group is left where it was.
 */
export const BENCH_SINK_GROUP = groupName('conveyor-sink-bench');

/**
 * An executor and a gateway of the current tree on their own ports, so a
 * benchmark or a load test does not disturb a running `npm start`. The
 * executor joins the hardware class's consumer group like any other.
 */
export const BENCH_GATEWAY_PORT = 18280;

export interface BenchServices {
  url: string;
  /** The analytics service (its sink), when started. */
  analyticsUrl?: string;
  services: RunningService[];
  /** The processes whose CPU the bench accounts per run (ops/bench/cpu.ts). */
  cpuRoots(): Promise<CpuRoots>;
  stop(): Promise<void>;
}

/** The run cgroups of the bench executor nest under this name, so no other engine's sandboxes count. */
const SANDBOX_CGROUP = `conveyor-bench-${process.pid}`;

export async function startBenchServices(opts: { port?: number; env?: NodeJS.ProcessEnv; logDir?: string; analytics?: boolean; onProgress?: (m: string) => void } = {}): Promise<BenchServices> {
  const port = opts.port ?? BENCH_GATEWAY_PORT;
  const logDir = opts.logDir ?? path.join(paths().state, 'bench-services');
  const env: NodeJS.ProcessEnv = {
    GATEWAY_PORT: String(port),
    ANALYTICS_URL: `http://127.0.0.1:${port + 10}`,
    LOG_LEVEL: 'warn',
    CONVEYOR_RUNTIMES_CGROUP_PARENT: SANDBOX_CGROUP,
    ...opts.env,
  };
  const say = opts.onProgress ?? (() => undefined);
  const running: RunningService[] = [];
  try {
    if (opts.analytics) {
      // The analytics sink is a hop of every run (results → ClickHouse): its CPU counts.
      say(`starting analytics on 127.0.0.1:${port + 10} (sink only, no export, group ${BENCH_SINK_GROUP} from the topics' end)`);
      const kafka = createKafka(connectionSettings({ ...process.env, ...env }).brokers, 'conveyor-bench');
      await commitGroupOffsets(kafka, BENCH_SINK_GROUP, await endOffsets(kafka, sinkTopics()));
      running.push(await startService({ name: `analytics-${port + 10}`, entry: 'consumers/sink/main.ts', env: { ...env, ANALYTICS_PORT: String(port + 10), EXPORT_ENABLED: 'false', SINK_GROUP_ID: BENCH_SINK_GROUP }, nice: analyticsSettings({ ...process.env, ...env }).nice, ready: httpReady(`http://127.0.0.1:${port + 10}/healthz`) }, logDir));
    }
    say(`starting executor-x86_64 (log ${logDir}/executor-x86_64-${port}.log)`);
    running.push(await startExecutorProcess({ logDir, name: `executor-x86_64-${port}`, hardwareClass: 'x86_64', env }));
    say(`starting gateway on 127.0.0.1:${port}`);
    running.push(await startGatewayProcess({ logDir, port, name: `gateway-${port}`, env }));
  } catch (err) {
    await Promise.all(running.map((r) => stopService(r)));
    throw err;
  }
  return {
    url: `http://127.0.0.1:${port}`,
    analyticsUrl: opts.analytics ? `http://127.0.0.1:${port + 10}` : undefined,
    services: running,
    async cpuRoots() {
      const pid = (prefix: string) => running.find((r) => r.name.startsWith(prefix))?.child.pid;
      const infra = await status();
      const executor = pid('executor');
      return {
        processes: {
          gateway: pid('gateway'),
          executor,
          spawner: executor ? findDescendant(executor, /spawner\.py/) : undefined,
          'analytics sink': pid('analytics'),
          broker: infra.find((p) => p.name === 'kafka')?.pid ?? undefined,
          registry: infra.find((p) => p.name === 'registry')?.pid ?? undefined,
        },
        selfOnly: ['spawner'],
        cgroups: { sandboxes: executor ? cgroupDirOf(executor, SANDBOX_CGROUP) : undefined },
      };
    },
    async stop() {
      for (const r of [...running].reverse()) await stopService(r);
    },
  };
}
