import type { Command } from 'commander';
import { up } from '../infra/stack';
import { startStack } from '../services/stack';
import { registerLoadAndBench } from '../bench/cli';
import { validateAll } from '../config/all';
import { registerFleetSimulate } from '../fleet/simulate/cli';
import { registerFleetReport } from '../fleet/scaler-report';
import { fleetSettings, operatorSettings } from '../fleet/settings';
import { registerFleet } from '../fleet/cli';
import { registerReplay } from './replay';
import { whenOrphaned } from '../../topics/ground/process-main';
import { registerRuntimes } from './runtimes';

/**
 * Commands of the service itself (start, bench, load, …) register here, so
 * main.ts keeps only the infrastructure and topic commands.
 */
export function registerCommands(program: Command, log: (msg: string) => void): void {
  program
    .command('config')
    .description('validate every setting and print the effective configuration')
    .action(() => {
      console.log(JSON.stringify(validateAll(), (_k, v: unknown) => (v instanceof RegExp ? String(v) : v), 2));
    });

  program
    .command('start')
    .description('bring up the infrastructure, then run the analytics service, executors and the gateway until Ctrl-C')
    .option('--executors <classes>', 'hardware classes to run executors for', 'x86_64,arm64')
    .action(async (o: { executors: string }) => {
      validateAll();
      const { token } = operatorSettings();
      // Asked to stop (Ctrl-C, SIGTERM, or npm gone) at any moment, start-up included: the stack stops once it is up.
      const stopAsked = new Promise<string>((resolve) => {
        process.once('SIGINT', () => resolve('SIGINT'));
        process.once('SIGTERM', () => resolve('SIGTERM'));
        whenOrphaned(() => resolve('parent process gone'));
      });
      await up(log);
      const stack = await startStack({ executors: o.executors.split(','), onProgress: log });
      console.log(`\nConveyor is running:\n  editor      ${stack.url}/\n  REST API    ${stack.url}/api/v1/runtimes\n  Piston API  ${stack.url}/api/v2/runtimes\n  WebSocket   ${stack.url.replace('http', 'ws')}/ws/editor\n  dashboard   ${stack.url}/dashboard\n  metrics     ${stack.url}/metrics\n  fleet       ${fleetSettings().url}/api/ops/fleet  (\`npx conveyor fleet list\`; KEDA: ${fleetSettings().url}/keda/desired)\n  operator    token ${token.file ? `in ${token.file} (${token.source})` : 'from CONVEYOR_OPERATOR_TOKEN'}\nCtrl-C stops the services (the infrastructure keeps running; \`npx conveyor down\` stops it).`);
      log(`stopping services (${await stopAsked})…`);
      await stack.stop();
      // Nothing else may keep the CLI alive once its children are gone (the parent watch, open handles).
      process.exit(0);
    });
  registerLoadAndBench(program, log);
  registerReplay(program, log);
  registerRuntimes(program, log);
  registerFleet(program);
  const fleet = program.commands.find((c) => c.name() === 'fleet') ?? program.command('fleet').description('the executor fleets');
  registerFleetSimulate(fleet, log);
  registerFleetReport(fleet, log);
}
