import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * The yardstick every latency is divided by: the same hello world started
 * the plain way, a cold process on this machine, no sandbox, no Kafka.
 */
export interface Baseline { label: string; command: string; samples: number[] }

export const BASELINES = {
  python: { label: 'bare python3 cold start', command: "/usr/bin/python3 -c 'print(1)'" },
  node: { label: 'bare node cold start', command: "/usr/bin/node -e 'console.log(1)'" },
  cpp: { label: 'bare g++ -O0 hello.cpp && ./a.out', command: 'g++ -O0 hello.cpp && ./a.out' },
} as const;

const HELLO_CPP = '#include <iostream>\nint main(){ std::cout << "hello\\n"; }\n';

export function measureBaseline(which: keyof typeof BASELINES, n: number): Baseline {
  const b = BASELINES[which];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conveyor-baseline-'));
  try {
    fs.writeFileSync(path.join(dir, 'hello.cpp'), HELLO_CPP);
    const samples: number[] = [];
    spawnSync('/bin/sh', ['-c', b.command], { cwd: dir, stdio: 'ignore' }); // page cache warm, as for the service
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      const r = spawnSync('/bin/sh', ['-c', b.command], { cwd: dir, stdio: 'ignore' });
      if (r.status !== 0) throw new Error(`baseline "${b.command}" failed with status ${r.status}`);
      samples.push(performance.now() - t);
    }
    return { label: b.label, command: b.command, samples };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
