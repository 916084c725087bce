import { randomUUID } from 'node:crypto';
import { createLogger } from '../../topics/ground/logger';
import { connectionSettings } from '../../topics/ground/connections';
import { runProcess } from '../../topics/ground/process-main';
import { createRuntimeEngine } from '../../runtimes';
import { createKafka } from '../../topics/kafka';
import { createRegistry } from '../../topics/registry';
import { createExecutorConsumer } from './consumer';
import { createExecutor } from './executor';
import { groupSignalLogCreator } from './group-signals';
import { followPoolSizes } from './pool-sizes';
import { executorSettings } from './settings';

/** An executor process of one hardware class: `EXECUTOR_HARDWARE_CLASS=arm64 tsx consumers/executor/main.ts`. */
runProcess('executor', async () => {
  const logger = createLogger('executor');
  const infra = connectionSettings();
  const settings = executorSettings();
  const engine = createRuntimeEngine({ hardwareClasses: [settings.EXECUTOR_HARDWARE_CLASS], logger });
  const executorId = settings.EXECUTOR_ID ?? `executor-${settings.EXECUTOR_HARDWARE_CLASS}-${randomUUID().slice(0, 8)}`;
  // The member id as the Kafka client id: the group's member list names the executor.
  // The coordinator's first "rebalancing" answer holds results at once (group-signals.ts).
  let onGenerationEnding = () => {};
  const kafka = createKafka(infra.brokers, executorId, { logCreator: groupSignalLogCreator({ onGenerationEnding: () => onGenerationEnding() }) });
  const consumer = createExecutorConsumer(kafka, settings);
  const registry = createRegistry({ url: infra.registryUrl });
  const executor = createExecutor({ kafka, consumer, executorId, registry, engine, settings, logger, onRestore: (r) => process.send?.({ restore: r }) });
  onGenerationEnding = executor.generationEnding;
  await engine.warm();
  const pools = followPoolSizes({ kafka, registry, hardwareClass: settings.EXECUTOR_HARDWARE_CLASS, executorId, engine, logger, report: process.send ? (p) => process.send?.({ warmPools: p }) : undefined });
  // In the background: the executor serves with its default pool sizes until the fleet's arrive.
  pools.start().catch((e: unknown) => logger.warn({ err: String(e) }, 'warm-pool sizes not followed'));
  await executor.start();
  logger.info({ executorId: executor.executorId, hardwareClass: settings.EXECUTOR_HARDWARE_CLASS }, 'executor running');
  // The fleet manager (the parent) shows runs in flight and partitions per member.
  const reports = process.send ? setInterval(() => process.send?.({ report: executor.status() }), 1000) : undefined;
  reports?.unref();
  return {
    ready: { executorId: executor.executorId },
    async stop() {
      logger.info({}, 'draining in-flight runs');
      await executor.stop();
      await pools.stop();
      if (reports) clearInterval(reports);
      await engine.close();
    },
  };
});
