// Unit specs live beside their code (*.spec.ts); integration and end-to-end
// tests live in test/ and use the real broker, registry, ClickHouse and sandbox.
const swc = ['@swc/jest', { jsc: { target: 'es2022' } }];
// hyparquet (the independent Parquet reader of the export tests), hyparquet-writer (the replay
// export's Parquet writer) and @bsull/augurs (the forecaster's models) ship ES modules only.
const transform = { '^.+\\.tsx?$': swc, '/node_modules/(hyparquet|hyparquet-writer|@bsull/augurs)/.+\\.js$': swc };
const transformIgnorePatterns = ['/node_modules/(?!hyparquet/|hyparquet-writer/|@bsull/augurs/)'];
const roots = ['topics', 'producers', 'consumers', 'stream-processors', 'runtimes', 'analytics', 'ops', 'test'];
module.exports = {
  projects: [
    { displayName: 'unit', transform, transformIgnorePatterns, testEnvironment: 'node', roots: roots.map((r) => `<rootDir>/${r}`), testMatch: ['**/*.spec.ts'] },
    // Integration tests use topics and groups of their own ("test." prefix), never those of a running `npm start`.
    {
      displayName: 'integration', transform, transformIgnorePatterns, testEnvironment: 'node', roots: ['<rootDir>/test'], testMatch: ['**/*.test.ts'], slowTestThreshold: 30,
      setupFiles: ['<rootDir>/test/support/isolation.ts'], globalSetup: '<rootDir>/test/support/global-setup.ts',
    },
  ],
  testTimeout: 120000,
};
