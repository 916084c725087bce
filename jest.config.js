// Unit specs live beside their code (*.spec.ts); integration and end-to-end
// tests live in test/ and use the real broker, registry, ClickHouse and sandbox.
const transform = { '^.+\\.tsx?$': ['@swc/jest', { jsc: { target: 'es2022' } }] };
const roots = ['topics', 'producers', 'consumers', 'stream-processors', 'runtimes', 'analytics', 'ops', 'test'];
module.exports = {
  projects: [
    { displayName: 'unit', transform, testEnvironment: 'node', roots: roots.map((r) => `<rootDir>/${r}`), testMatch: ['**/*.spec.ts'] },
    { displayName: 'integration', transform, testEnvironment: 'node', roots: ['<rootDir>/test'], testMatch: ['**/*.test.ts'], slowTestThreshold: 30 },
  ],
  testTimeout: 120000,
};
