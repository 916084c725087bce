import path from 'node:path';
import { connectionSettings } from '../../topics/ground/connections';
import { createLogger } from '../../topics/ground/logger';
import { paths } from '../../topics/ground/paths';
import { runProcess } from '../../topics/ground/process-main';
import { createKafka } from '../../topics/kafka';
import { createRegistry } from '../../topics/registry';
import { executorSettings } from '../../consumers/executor/settings';
import { httpScalerSource } from './scaler-source-http';
import { scalerSettings } from './scaler-settings';
import { startFleetService } from './service';
import { fleetSettings, operatorSettings } from './settings';

/** The fleet manager process: `tsx ops/fleet/main.ts` (started by `npm start`). */
runProcess('fleet', async () => {
  const logger = createLogger('fleet');
  const infra = connectionSettings();
  const settings = fleetSettings();
  // An executor's run slots are its concurrency, unless SCALER_SLOTS_PER_EXECUTOR says otherwise.
  const scaler = scalerSettings(process.env, executorSettings().EXECUTOR_CONCURRENCY);
  const svc = await startFleetService({
    kafka: createKafka(infra.brokers, 'conveyor-fleet'),
    registry: createRegistry({ url: infra.registryUrl }),
    settings,
    token: operatorSettings().token,
    logDir: path.join(paths().state, 'services'),
    log: (msg, fields) => logger.warn(fields ?? {}, msg),
    scaler: { settings: scaler, source: httpScalerSource({ url: scaler.analyticsUrl, timeoutMs: scaler.analyticsTimeoutMs }) },
  });
  logger.info({ url: svc.url, managerId: svc.managerId, actuator: settings.FLEET_ACTUATOR, scaler: scaler.enabled ? scaler.config.mode : 'off' }, 'fleet manager listening');
  if (settings.FLEET_ACTUATOR === 'local') await svc.converged(settings.FLEET_START_TIMEOUT_MS);
  return { ready: { url: svc.url, managerId: svc.managerId }, stop: () => svc.stop() };
});
