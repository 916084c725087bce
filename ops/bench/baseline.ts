import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BareTimer } from '../../runtimes/bare-timer';

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

/**
 * A baseline taken one sample at a time, so a bench can interleave it with the runs it is the yardstick
 * of: both then see the same minutes of a shared machine (a block of baseline samples taken before the
 * runs measures whatever else the machine was doing then, e.g. services still starting up). Each sample
 * is started from a small shell (runtimes/bare-timer.ts), as a person starts it, not forked from the bench's
 * own large process.
 */
export interface BaselineSampler extends Baseline {
  /** Takes one sample and answers its wall time (ms). */
  sample(): Promise<number>;
  /** Each sample's CPU time (user + system ms), in the order of `samples`. */
  cpuSamples: number[];
  close(): void;
}

export async function baselineSampler(which: keyof typeof BASELINES): Promise<BaselineSampler> {
  const b = BASELINES[which];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conveyor-baseline-'));
  fs.writeFileSync(path.join(dir, 'hello.cpp'), HELLO_CPP);
  const timer = BareTimer.start(dir);
  const close = () => {
    timer.close();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const samples: number[] = [];
  const cpuSamples: number[] = [];
  const once = async () => {
    const r = await timer.time(b.command);
    if (r.status !== 0) throw new Error(`baseline "${b.command}" failed with status ${r.status}`);
    return r;
  };
  try {
    await once(); // page cache warm, as for the service
  } catch (err) {
    close();
    throw err;
  }
  return {
    label: b.label,
    command: b.command,
    samples,
    cpuSamples,
    async sample() {
      const r = await once();
      samples.push(r.ms);
      cpuSamples.push(r.cpuMs);
      return r.ms;
    },
    close,
  };
}

/**
 * The yardstick of a bench's CPU figures: the CPU of bare python3 starts, taken just before and just after each
 * measured window (not during it, where it would add to the window's load), since the host's speed moves the
 * same code's CPU by tens of percent between hours. Average both sides with `meanMs`: each sample is a
 * difference of the timing shell's cumulative children's time in whole ms, so single samples are rounded and
 * the mean of contiguous ones is not.
 */
export interface CpuYardstick {
  /** Takes `CPU_YARDSTICK_SAMPLES` bare python3 starts in a row and answers each one's CPU ms. */
  take(): Promise<number[]>;
  close(): void;
}

export const CPU_YARDSTICK_SAMPLES = 5;

export async function cpuYardstick(): Promise<CpuYardstick> {
  const s = await baselineSampler('python');
  return {
    async take() {
      const from = s.cpuSamples.length;
      for (let i = 0; i < CPU_YARDSTICK_SAMPLES; i++) await s.sample();
      return s.cpuSamples.slice(from);
    },
    close: () => s.close(),
  };
}

export const meanMs = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

export async function measureBaseline(which: keyof typeof BASELINES, n: number): Promise<Baseline> {
  const s = await baselineSampler(which);
  try {
    for (let i = 0; i < n; i++) await s.sample();
    return { label: s.label, command: s.command, samples: s.samples };
  } finally {
    s.close();
  }
}
