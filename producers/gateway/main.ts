import { createLogger } from '../../topics/ground/logger';
import { connectionSettings } from '../../topics/ground/connections';
import { runProcess } from '../../topics/ground/process-main';
import { readSection } from '../../topics/ground/env';
import { operatorToken, operatorTokenSection } from '../../topics/ground/operator-token';
import { paths } from '../../topics/ground/paths';
import { createKafka } from '../../topics/kafka';
import { createRegistry } from '../../topics/registry';
import { createCurrentRuntimes } from './current-runtimes';
import { catalogFromLanguageTable } from './runtime-catalog';
import { mountEditorPage } from './editor-page';
import { createGateway } from './server';
import { gatewaySettings } from './settings';

/** A gateway process: `tsx producers/gateway/main.ts`. */
runProcess('gateway', async () => {
  const logger = createLogger('gateway');
  const infra = connectionSettings();
  const settings = gatewaySettings();
  const operator = operatorToken({ configured: readSection(operatorTokenSection).CONVEYOR_OPERATOR_TOKEN, stateDir: paths().state });
  const kafka = createKafka(infra.brokers, 'conveyor-gateway');
  const registry = createRegistry({ url: infra.registryUrl });
  // New sessions get each language's current toolchain version (`conveyor runtimes set-current`).
  const current = createCurrentRuntimes({ kafka, registry, gatewayId: 'gateway', logger });
  await current.start();
  const gateway = createGateway({
    kafka,
    registry,
    catalog: catalogFromLanguageTable(current.version),
    settings,
    // Every gateway on the machine reads the same operator token, so their collaboration tokens agree.
    collabKey: settings.COLLAB_SECRET?.reveal() ?? `collab:${operator.reveal()}`,
    logger,
    operatorToken: operator,
    mount: mountEditorPage,
  });
  const { url } = await gateway.start();
  logger.info({ url, gatewayId: gateway.gatewayId }, 'gateway listening');
  return {
    ready: { url },
    async stop() {
      await gateway.stop();
      await current.stop();
    },
  };
});
