import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { openWarehouse, type Warehouse } from '../../analytics/warehouse';
import { migrate } from '../../analytics/migrations';
import { tmpDir } from '../analytics/fixtures';
import { operatorIdentity, replayRuns } from '../../ops/replay/runs';
import { ensureReplayTopics } from '../../stream-processors/replay/traffic-replay';
import { createRoutingTable, DEFAULT_WEIGHTS } from '../../stream-processors/routing/partitioner';
import { ROUTED_PARTITIONS } from '../../topics/catalog';
import { readCurrentRuntimes, setCurrentRuntime } from '../../ops/runtimes/versions';
import { paths } from '../../topics/ground/paths';
import { realInfra } from '../support/infra';
import { gatewayUrl, postJson, startExecutor, startGateway, stopService } from '../support/stack';

const { kafka, registry } = realInfra('replay-runs-test');
const routing = createRoutingTable(ROUTED_PARTITIONS, DEFAULT_WEIGHTS);
let services: Awaited<ReturnType<typeof startExecutor>>[] = [];
let wh: Warehouse;
const stateDir = tmpDir('replay-state');

// 44 deterministic Python programs, one that prints the time, and 5 C programs of which two print the architecture they were built for.
const python = Array.from({ length: 44 }, (_, i) => `n = ${i}\nprint(sum(k * k for k in range(n)), "  end")\n`);
const clock = 'import time\nprint(time.time_ns())\n';
const arch = '#include <stdio.h>\nint main(void) {\n#ifdef __aarch64__\n  puts("arm");\n#else\n  puts("x86");\n#endif\n  return 0;\n}\n';
const plainC = (i: number) => `#include <stdio.h>\nint main(void) { printf("%d\\n", ${i} * 7); return 0; }\n`;
const recorded: { runId: string; kind: string }[] = [];
let fromMs = 0;
let toMs = 0;

beforeAll(async () => {
  await ensureReplayTopics(kafka, registry, [{ namespace: 'replay.', hardwareClass: 'x86_64' }, { namespace: 'replay.', hardwareClass: 'arm64' }]);
  const started = await Promise.allSettled([
    startExecutor(),
    // The replay's executor groups: baseline (and same-toolchain candidate) on x86_64, the arm64 candidate.
    startExecutor('replay-executor-x86_64', { EXECUTOR_TOPIC_NAMESPACE: 'replay.' }),
    startExecutor('replay-executor-arm64', { EXECUTOR_TOPIC_NAMESPACE: 'replay.', EXECUTOR_HARDWARE_CLASS: 'arm64' }),
  ]);
  services = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  services.push(await startGateway());
  wh = await openWarehouse({ dataDir: tmpDir('replay-ch') });
  await migrate(wh);
  fromMs = Date.now();
  const programs = [
    ...python.map((code) => ({ language: 'python', code, kind: 'python' })),
    { language: 'python', code: clock, kind: 'clock' },
    { language: 'c', code: arch, kind: 'arch' },
    { language: 'c', code: arch, kind: 'arch' },
    ...[1, 2, 3].map((i) => ({ language: 'c', code: plainC(i), kind: 'c' })),
  ];
  for (let i = 0; i < programs.length; i += 5) {
    await Promise.all(programs.slice(i, i + 5).map(async (p) => {
      const r = await postJson(`${gatewayUrl}/api/v1/runs`, { language: p.language, code: p.code });
      expect(r.json.status).toBe('ok');
      recorded.push({ runId: r.json.runId, kind: p.kind });
    }));
  }
  toMs = Date.now();
}, 240000);

afterAll(async () => {
  // runtimes.current outlives this file: leave JavaScript on the table's first version.
  await setCurrentRuntime(kafka, registry, 'javascript', '20.20.2', 'runs-test').catch(() => {});
  await wh?.close();
  for (const s of services.reverse()) await stopService(s);
});

describe('traffic replay with a diff', () => {
  it('replays 50 recorded runs against the same toolchain with zero regressions, the clock program as non-deterministic, across a cancel and a resume', async () => {
    expect(recorded).toHaveLength(50);
    const abort = new AbortController();
    const operator = operatorIdentity('test-operator-token-0123456789', 'tester');
    const first = await replayRuns(kafka, registry, routing, {
      fromMs, toMs, stateDir, operator, maxInFlight: 4, signal: abort.signal, startExecutors: false,
      onProgress: (p) => {
        if (p.done >= 8) abort.abort();
      },
    });
    expect(first.report.cancelled).toBe(true);
    const doneFirst = first.report.runs.length;
    expect(doneFirst).toBeGreaterThanOrEqual(8);
    expect(doneFirst).toBeLessThan(50);

    const { report } = await replayRuns(kafka, registry, routing, { fromMs, toMs, stateDir, operator, resume: first.report.replayId, startExecutors: false, warehouse: wh });
    const ids = report.runs.map((d) => d.runId);
    expect(new Set(ids).size).toBe(50);
    expect(ids.sort()).toEqual(recorded.map((r) => r.runId).sort());
    expect(report.totals).toMatchObject({ runs: 50, changed: 0, incomplete: 0, nondeterministic: 1, statusChanged: 0, outputChanged: 0 });
    const clockRun = recorded.find((r) => r.kind === 'clock')!.runId;
    expect(report.runs.filter((d) => d.classification === 'nondeterministic').map((d) => d.runId)).toEqual([clockRun]);
    expect(report.totals.cpuRatioMedian).not.toBeNull();

    const rows = await wh.query<{ n: number | string; nondet: number | string; op: string }>(
      `SELECT count() AS n, countIf(classification = 'nondeterministic') AS nondet, any(operator) AS op FROM replay_results FINAL WHERE replay_id = {id:String}`, { id: report.replayId });
    expect([Number(rows[0]!.n), Number(rows[0]!.nondet), rows[0]!.op]).toEqual([50, 1, expect.stringContaining('tester (operator token ')]);
  }, 300000);

  it('against another hardware class reports exactly the runs whose output changes', async () => {
    const { report, files } = await replayRuns(kafka, registry, routing, { fromMs, toMs, stateDir, operator: 'tester', language: 'c', against: 'arm64', startExecutors: false });
    expect(report.totals).toMatchObject({ runs: 5, changed: 2, same: 3, nondeterministic: 0, incomplete: 0, outputChanged: 2, statusChanged: 0 });
    const archRuns = recorded.filter((r) => r.kind === 'arch').map((r) => r.runId).sort();
    expect(report.runs.filter((d) => d.classification === 'changed').map((d) => d.runId).sort()).toEqual(archRuns);
    expect(report.against).toBe('hardware class arm64');
    expect(require('node:fs').readFileSync(files.html, 'utf8')).toContain(archRuns[0]);
  });

  it('against another toolchain version (Node 22) reports exactly the runs that change', async () => {
    // Four programs that print the same on Node 20 and 22, two that do not (a Node 22 API, the major version).
    const js = [
      ...[1, 2, 3, 4].map((i) => ({ code: `console.log([${i}, ${i + 1}, ${i + 2}].map((x) => x * x).join(' '))`, changes: false })),
      { code: 'console.log(typeof Object.groupBy, typeof Promise.withResolvers)', changes: true },
      { code: "console.log('node', process.versions.node.split('.')[0])", changes: true },
    ];
    const jsFrom = Date.now();
    const runs: { runId: string; changes: boolean }[] = [];
    for (const p of js) {
      const r = await postJson(`${gatewayUrl}/api/v1/runs`, { language: 'javascript', code: p.code });
      expect([r.json.status, r.json.version]).toEqual(['ok', '20.20.2']);
      runs.push({ runId: r.json.runId, changes: p.changes });
    }
    const jsTo = Date.now();
    const same = await replayRuns(kafka, registry, routing, { fromMs: jsFrom, toMs: jsTo, stateDir, operator: 'tester', language: 'javascript', startExecutors: false });
    expect(same.report.totals).toMatchObject({ runs: 6, changed: 0, same: 6, nondeterministic: 0, incomplete: 0 });
    const { report } = await replayRuns(kafka, registry, routing, { fromMs: jsFrom, toMs: jsTo, stateDir, operator: 'tester', language: 'javascript', against: '22.23.5', startExecutors: false });
    expect(report.totals).toMatchObject({ runs: 6, changed: 2, same: 4, nondeterministic: 0, incomplete: 0, outputChanged: 2, statusChanged: 0 });
    expect(report.runs.filter((d) => d.classification === 'changed').map((d) => d.runId).sort()).toEqual(runs.filter((r) => r.changes).map((r) => r.runId).sort());
    expect(report.against).toContain('javascript 22.23.5');
  });

  it('runtimes set-current switches new sessions to Node 22 while a short link made before keeps Node 20', async () => {
    const program = 'console.log(process.version)';
    const link = await postJson(`${gatewayUrl}/api/v1/links`, { language: 'javascript', files: [{ name: 'main.js', content: program }] });
    expect(link.json.version).toBe('20.20.2');
    await setCurrentRuntime(kafka, registry, 'node', '22', 'tester (operator token test)');
    expect((await readCurrentRuntimes(kafka, registry)).find((c) => c.language === 'javascript')).toMatchObject({ version: '22.23.5', setBy: 'tester (operator token test)' });
    // The gateway follows runtimes.current: poll until it lists Node 22 as current.
    const deadline = Date.now() + 60000;
    let current: string | undefined;
    while (Date.now() < deadline) {
      const body = await fetch(`${gatewayUrl}/api/v1/runtimes`).then((r) => r.json() as Promise<{ runtimes: { language: string; version: string; current: boolean }[] }>);
      current = body.runtimes.find((r) => r.language === 'javascript' && r.current)?.version;
      if (current === '22.23.5') break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(current).toBe('22.23.5');
    const fresh = await postJson(`${gatewayUrl}/api/v1/runs`, { language: 'javascript', code: program });
    expect([fresh.json.status, fresh.json.version, fresh.json.run?.stdout]).toEqual(['ok', '22.23.5', 'v22.23.5\n']);
    // The link made before the switch still opens, and runs, with its own version.
    const again = await fetch(`${gatewayUrl}/api/v1/links/${link.json.id}`).then((r) => r.json() as Promise<any>);
    expect(again.toolchain).toEqual({ available: true, runsWith: '20.20.2', notice: null });
    const old = await postJson(`${gatewayUrl}/api/v1/runs`, { language: again.language, version: again.toolchain.runsWith, dependencySet: again.dependencySet, files: again.files });
    expect([old.json.status, old.json.version, old.json.run?.stdout]).toEqual(['ok', '20.20.2', 'v20.20.2\n']);
    await setCurrentRuntime(kafka, registry, 'javascript', '20.20.2', 'tester');
  });

  it('the CLI stops at Ctrl-C (SIGINT) with the runs done so far and resumes where it stopped, recording both operators', async () => {
    const repo = path.resolve(__dirname, '../..');
    const cli = (args: string[], onErr?: (text: string, child: ChildProcess) => void) => new Promise<{ code: number | null; out: string; err: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ['ops/cli/bin.cjs', 'replay', 'runs', '--from', String(fromMs), '--to', String(toMs), '--language', 'python', '--no-start-executors', '--no-warehouse', ...args], { cwd: repo, env: { ...process.env, CONVEYOR_OPERATOR_TOKEN: 'cli-test-operator-token-0123456789' } });
      let out = '';
      let err = '';
      const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`conveyor replay runs did not finish: ${err}`)); }, 240000);
      child.stdout.on('data', (d: Buffer) => { out += d; });
      child.stderr.on('data', (d: Buffer) => { err += d; onErr?.(err, child); });
      child.on('error', reject);
      child.on('exit', (code) => { clearTimeout(timer); resolve({ code, out, err }); });
    });
    let interrupted = false;
    // One recorded run per second: the first progress line (10 runs) arrives well before the 45 are done.
    const first = await cli(['--rate', '1', '--operator', 'alice'], (err, child) => {
      if (!interrupted && /\] 10\/45 runs/.test(err)) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    expect(interrupted).toBe(true);
    expect(first.code).toBe(0);
    expect(first.err).toContain('stopping: waiting for the runs in flight');
    const id = /cancelled; resume with --resume (\S+)\)/.exec(first.out)?.[1];
    expect(id).toBeDefined();
    const jsonl = path.join(paths().state, 'replay', id!, 'runs.jsonl');
    const doneFirst = fs.readFileSync(jsonl, 'utf8').trim().split('\n').length;
    expect(doneFirst).toBeGreaterThanOrEqual(10);
    expect(doneFirst).toBeLessThan(45);

    const second = await cli(['--resume', id!, '--operator', 'bob', '--json']);
    expect(second.code).toBe(0);
    expect(second.err).toContain(`resuming replay ${id}: ${doneFirst} runs already done`);
    const report = JSON.parse(second.out.slice(second.out.indexOf('{')));
    expect(report.cancelled).toBe(false);
    expect(report.totals).toMatchObject({ runs: 45, changed: 0, incomplete: 0, nondeterministic: 1 });
    expect(new Set(report.runs.map((d: { runId: string }) => d.runId)).size).toBe(45);
    expect(report.operator).toMatch(/^alice \(operator token [0-9a-f]{12}\), resumed by bob \(operator token [0-9a-f]{12}\)$/);
  }, 300000);
});
