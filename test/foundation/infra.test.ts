import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const cli = path.resolve(__dirname, '../../ops/cli/bin.cjs');

/** A second, private stack on other ports so the shared one keeps serving other tests. */
const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'conveyor-infra-'));
const env = {
  ...process.env,
  CONVEYOR_STATE_DIR: stateDir,
  KAFKA_PORT: '19092',
  KAFKA_CONTROLLER_PORT: '19093',
  REGISTRY_PORT: '18081',
  KAFKA_HEAP: '384m',
  REGISTRY_HEAP: '256m',
};

async function conveyor(args: string[], extraEnv: NodeJS.ProcessEnv = {}) {
  try {
    const { stdout, stderr } = await run('node', [cli, ...args], { env: { ...env, ...extraEnv }, timeout: 180000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function pidsOf(dir: string): number[] {
  return ['kafka/kafka.pid', 'registry/registry.pid']
    .map((f) => path.join(dir, f))
    .filter((f) => fs.existsSync(f))
    .map((f) => Number(fs.readFileSync(f, 'utf8')));
}

function alive(pid: number) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

afterAll(async () => {
  await conveyor(['down']);
  fs.rmSync(stateDir, { recursive: true, force: true });
});

describe('conveyor up / down / status', () => {
  it('starts the broker and the registry, and a second up is a no-op', async () => {
    const first = await conveyor(['up']);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/kafka\s+started/);
    expect(first.stdout).toMatch(/registry\s+started/);
    const pids = pidsOf(stateDir);
    expect(pids).toHaveLength(2);

    const second = await conveyor(['up']);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/kafka\s+ready/);
    expect(second.stdout).toMatch(/registry\s+ready/);
    expect(second.stdout).toMatch(/topics \(\d+, 0 changed\)/);
    expect(pidsOf(stateDir)).toEqual(pids);

    const status = await conveyor(['status']);
    expect(status.stdout).toMatch(/kafka\s+yes\s+yes/);
    expect(status.stdout).toMatch(/registry\s+yes\s+yes/);
  });

  it('down stops exactly what up started and leaves no process behind', async () => {
    const pids = pidsOf(stateDir);
    expect(pids.every(alive)).toBe(true);
    const res = await conveyor(['down']);
    expect(res.stdout).toMatch(/stopped: registry, kafka/);
    expect(pids.some(alive)).toBe(false);
    expect(pidsOf(stateDir)).toEqual([]);
    const again = await conveyor(['down']);
    expect(again.stdout).toMatch(/nothing was running/);
  });

  it('reports a component that crashes at start with the tail of its log', async () => {
    const res = await conveyor(['up'], { KAFKA_HEAP: '1m' });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/start_failed: kafka exited during start-up/);
    expect(res.stderr).toMatch(/heap/i);
    await conveyor(['down']);
  });

  it('refuses a wrong configuration value, naming the variable', async () => {
    const res = await conveyor(['status'], { KAFKA_PORT: 'ninety' });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/invalid configuration: KAFKA_PORT: .*"ninety"/);
    const heap = await conveyor(['up'], { KAFKA_HEAP: 'lots' });
    expect(heap.stderr).toMatch(/KAFKA_HEAP: must be a JVM heap size/);
  });
});
