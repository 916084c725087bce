import { createLogger } from '../../ops/config/logger';
import { infraSettings } from '../../ops/infra/settings';
import { createKafka } from '../../topics/kafka';
import { createRegistry } from '../../topics/registry';
import { createRuntimeEngine } from '../../runtimes';
import { createExecutor } from './executor';
import { executorSettings } from './settings';

/** An executor process of one hardware class: `EXECUTOR_HARDWARE_CLASS=arm64 tsx consumers/executor/main.ts`. */
async function main() {
  const logger = createLogger('executor');
  const infra = infraSettings();
  const settings = executorSettings();
  const engine = createRuntimeEngine({ hardwareClasses: [settings.EXECUTOR_HARDWARE_CLASS], logger });
  const executor = createExecutor({ kafka: createKafka(infra.brokers, 'conveyor-executor'), registry: createRegistry({ url: infra.registryUrl }), engine, settings, logger });
  await engine.warm();
  await executor.start();
  logger.info({ executorId: executor.executorId, hardwareClass: settings.EXECUTOR_HARDWARE_CLASS }, 'executor running');
  process.send?.({ ready: true, executorId: executor.executorId });
  const stop = async () => {
    logger.info({}, 'draining in-flight runs');
    await executor.stop();
    await engine.close();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  // Started by `conveyor start` or a test: when that parent dies, stop too.
  process.once('disconnect', stop);
}

main().catch((err) => {
  process.stderr.write(`executor: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
