/**
 * Before the integration tests: the topics and schemas of the tests' prefix
 * (test/support/isolation.ts) exist on the broker `conveyor up` started, as
 * `conveyor topics apply` makes them for the unprefixed names. Idempotent; a
 * broker that is not up fails here with the reason, once, instead of in
 * every test.
 */
export default async function globalSetup(): Promise<void> {
  process.env.CONVEYOR_TOPIC_PREFIX ??= 'test.';
  // Required only now, so the catalog reads the prefix.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { applyTopics } = require('../../topics/admin') as typeof import('../../topics/admin');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { realInfra } = require('./infra') as typeof import('./infra');
  const { kafka, registry } = realInfra('conveyor-test-setup');
  try {
    await applyTopics(kafka, registry);
  } catch (err) {
    throw new Error(`The tests' topics could not be applied (is the broker up? \`node ops/cli/bin.cjs up\`): ${(err as Error).message}`);
  }
}
