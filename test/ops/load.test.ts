import { startBenchServices, type BenchServices } from '../../ops/bench/services';
import { runLoad } from '../../ops/load/runner';
import { up } from '../../ops/infra/stack';

/**
 * The load generator against real executor and gateway processes (real
 * Kafka, registry and sandbox), on its own gateway port so a running
 * `npm start` or the pipeline tests (18080) are not disturbed.
 */
jest.setTimeout(120000);

let stack: BenchServices;

beforeAll(async () => {
  await up();
  stack = await startBenchServices({ port: 18180, logDir: `${process.cwd()}/.state/test-services`, env: { EXECUTOR_SESSION_TIMEOUT_MS: '6000' } });
});

afterAll(async () => {
  await stack?.stop();
});

it('simulates a few people typing and running programs for 15 s and reports runs with status counts and no protocol errors', async () => {
  const lines: string[] = [];
  const report = await runLoad({
    url: stack.url, users: 4, durationS: 15, rampS: 2, curve: 'flat', mix: 'python=3,javascript=2,c++=1', protocols: 'ws=4,rest=1,piston=1',
    speed: 40, thinkS: [5, 20], runs: [10, 20], seed: 11, graceS: 30, resultTimeoutS: 60, onProgress: (l) => lines.push(l), progressEveryMs: 1000,
  });
  expect(lines.some((l) => /users \d+\/\d+ +runs \d+/.test(l))).toBe(true);
  expect(report.totals.runs).toBeGreaterThanOrEqual(8);
  expect(report.totals.answered).toBe(report.totals.runs);
  expect(report.totals.protocolErrors).toEqual({});
  expect(report.totals.userErrors).toEqual({});
  expect(report.totals.edits).toBeGreaterThan(20);
  const counted = Object.values(report.statuses).reduce((a, b) => a + b, 0);
  expect(counted).toBe(report.totals.runs);
  expect(report.statuses.ok).toBeGreaterThan(0);
  expect(report.perLanguage.map((l) => l.language)).toEqual(expect.arrayContaining(['python']));
  expect(report.latency.p50).toBeGreaterThan(0);
  expect(report.hops.queueWait.n).toBe(report.totals.answered);
});
