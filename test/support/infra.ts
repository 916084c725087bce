import { connectionSettings } from '../../topics/ground/connections';
import { createKafka } from '../../topics/kafka';
import { createRegistry } from '../../topics/registry';

/** The real broker and registry that `npm test` started with `conveyor up`. */
export function realInfra(clientId = 'conveyor-test') {
  const s = connectionSettings();
  return { settings: s, kafka: createKafka(s.brokers, clientId), registry: createRegistry({ url: s.registryUrl }) };
}
