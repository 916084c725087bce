import { createLogger } from '../../ops/config/logger';
import { infraSettings } from '../../ops/infra/settings';
import { createKafka } from '../../topics/kafka';
import { createRegistry } from '../../topics/registry';
import { catalogFromLanguageTable } from './catalog';
import { createGateway } from './server';
import { gatewaySettings } from './settings';
import { mountEditorPage } from './editor-page';

/** A gateway process: `tsx producers/gateway/main.ts`. */
async function main() {
  const logger = createLogger('gateway');
  const infra = infraSettings();
  const settings = gatewaySettings();
  const gateway = createGateway({
    kafka: createKafka(infra.brokers, 'conveyor-gateway'),
    registry: createRegistry({ url: infra.registryUrl }),
    catalog: catalogFromLanguageTable(),
    settings,
    logger,
    mount: mountEditorPage,
  });
  const { url } = await gateway.start();
  logger.info({ url, gatewayId: gateway.gatewayId }, 'gateway listening');
  process.send?.({ ready: true, url });
  const stop = async () => {
    await gateway.stop();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  // Started by `conveyor start` or a test: when that parent dies, stop too.
  process.once('disconnect', stop);
}

main().catch((err) => {
  process.stderr.write(`gateway: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
