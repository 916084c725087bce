import { createLogger } from '../../topics/ground/logger';
import { connectionSettings } from '../../topics/ground/connections';
import { runProcess } from '../../topics/ground/process-main';
import { createRuntimeEngine } from '../../runtimes';
import { createKafka } from '../../topics/kafka';
import { createRegistry } from '../../topics/registry';
import { createExecutorConsumer } from './consumer';
import { createExecutor } from './executor';
import { executorSettings } from './settings';

/** An executor process of one hardware class: `EXECUTOR_HARDWARE_CLASS=arm64 tsx consumers/executor/main.ts`. */
runProcess('executor', async () => {
  const logger = createLogger('executor');
  const infra = connectionSettings();
  const settings = executorSettings();
  const engine = createRuntimeEngine({ hardwareClasses: [settings.EXECUTOR_HARDWARE_CLASS], logger });
  const kafka = createKafka(infra.brokers, 'conveyor-executor');
  const consumer = createExecutorConsumer(kafka, settings);
  const executor = createExecutor({ kafka, consumer, registry: createRegistry({ url: infra.registryUrl }), engine, settings, logger, onRestore: (r) => process.send?.({ restore: r }) });
  await engine.warm();
  await executor.start();
  logger.info({ executorId: executor.executorId, hardwareClass: settings.EXECUTOR_HARDWARE_CLASS }, 'executor running');
  return {
    ready: { executorId: executor.executorId },
    async stop() {
      logger.info({}, 'draining in-flight runs');
      await executor.stop();
      await engine.close();
    },
  };
});
