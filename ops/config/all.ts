import { analyticsSettings } from '../../analytics/config';
import { executorSettings } from '../../consumers/executor/settings';
import { gatewaySettings } from '../../producers/gateway/settings';
import { readRuntimesConfig } from '../../runtimes/config';
import { infraSettings } from '../infra/settings';
import { fleetSettings } from '../fleet/settings';
import { forecastSettings } from '../../analytics/forecast/settings';
import { operatorTokenSection } from '../../topics/ground/operator-token';
import { readSection } from '../../topics/ground/env';

/**
 * Every section of configuration, validated together: `conveyor start` calls
 * this first so a bad value stops start-up before any process is launched.
 */
export function validateAll(e: NodeJS.ProcessEnv = process.env) {
  return {
    infrastructure: infraSettings(e),
    gateway: gatewaySettings(e),
    executor: executorSettings(e),
    runtimes: readRuntimesConfig(e),
    analytics: analyticsSettings(e),
    fleet: fleetSettings(e),
    forecasts: forecastSettings(e),
    operator: readSection(operatorTokenSection, e),
  };
}
