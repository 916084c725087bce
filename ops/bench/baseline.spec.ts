import fs from 'node:fs';
import os from 'node:os';
import { baselineSampler, cpuYardstick, CPU_YARDSTICK_SAMPLES, meanMs, measureBaseline } from './baseline';

const tempDirs = () => fs.readdirSync(os.tmpdir()).filter((d) => d.startsWith('conveyor-baseline-')).sort();

describe('baselineSampler', () => {
  it('times one bare start per sample(), keeps every sample, and removes its directory on close', async () => {
    const before = tempDirs();
    const s = await baselineSampler('python');
    expect(tempDirs().length).toBe(before.length + 1);
    const a = await s.sample();
    const b = await s.sample();
    expect(s.samples).toEqual([a, b]);
    // A cold interpreter start takes milliseconds, not microseconds: the sample timed a real process.
    expect(Math.min(a, b)).toBeGreaterThan(1);
    // ... and its CPU, one figure per sample, a real interpreter's (more than a millisecond, less than its wall time).
    expect(s.cpuSamples).toHaveLength(2);
    for (const [i, cpu] of s.cpuSamples.entries()) {
      expect(cpu).toBeGreaterThan(1);
      expect(cpu).toBeLessThanOrEqual(s.samples[i]! + 1);
    }
    s.close();
    expect(tempDirs()).toEqual(before);
  });

  it('measureBaseline takes n samples in a row', async () => {
    expect((await measureBaseline('python', 3)).samples).toHaveLength(3);
  });
});

describe('cpuYardstick', () => {
  it('answers the CPU of a row of bare python3 starts at each take, and leaves no directory behind', async () => {
    const before = tempDirs();
    const y = await cpuYardstick();
    const a = await y.take();
    const b = await y.take();
    y.close();
    expect(tempDirs()).toEqual(before);
    expect(a).toHaveLength(CPU_YARDSTICK_SAMPLES);
    expect(b).toHaveLength(CPU_YARDSTICK_SAMPLES);
    // A cold interpreter's start costs milliseconds of CPU (not the microseconds of a timing mistake, nor seconds).
    expect(meanMs([...a, ...b])).toBeGreaterThan(1);
    expect(meanMs([...a, ...b])).toBeLessThan(1000);
  });

  it('meanMs is the plain mean, and 0 for nothing', () => {
    expect(meanMs([10, 11, 13])).toBeCloseTo(34 / 3, 9);
    expect(meanMs([])).toBe(0);
  });
});
