/**
 * The integration tests' own topics and consumer groups: every name in
 * topics/catalog.ts gets the prefix "test." (CONVEYOR_TOPIC_PREFIX), in this
 * process and in every service a test starts (they inherit the environment),
 * so a developer's `npm start` on the same broker never sees a test's records
 * and no test executor joins its groups (docs/decisions/test-isolation.md).
 * Set CONVEYOR_TOPIC_PREFIX yourself to run two suites side by side ("ci-2.");
 * set it empty to test against the unprefixed topics.
 * Loaded by jest (setupFiles) before any test module reads the catalog.
 */
process.env.CONVEYOR_TOPIC_PREFIX ??= 'test.';
