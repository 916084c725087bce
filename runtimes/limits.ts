import { RuntimeError, type EngineLimits, type StageLimits } from './types';

/** Limits are plain data; docs/limits.md explains each value. */
const MiB = 1024 * 1024;

export const LIMITS: EngineLimits = {
  defaults: {
    compile: { wallMs: 30_000, cpuMs: 15_000, memoryBytes: 1024 * MiB, pids: 64, outputBytes: 64 * 1024, fileBytes: 64 * MiB, openFiles: 256 },
    run: { wallMs: 5_000, cpuMs: 5_000, memoryBytes: 256 * MiB, pids: 64, outputBytes: 1 * MiB, fileBytes: 16 * MiB, openFiles: 64 },
  },
  maximums: {
    compile: { wallMs: 60_000, cpuMs: 60_000, memoryBytes: 2048 * MiB, pids: 256, outputBytes: 1 * MiB, fileBytes: 256 * MiB, openFiles: 1024 },
    run: { wallMs: 60_000, cpuMs: 60_000, memoryBytes: 2048 * MiB, pids: 256, outputBytes: 16 * MiB, fileBytes: 256 * MiB, openFiles: 1024 },
  },
};

const KEYS: (keyof StageLimits)[] = ['wallMs', 'cpuMs', 'memoryBytes', 'pids', 'outputBytes', 'fileBytes', 'openFiles'];
/** Below these a stage cannot even start its interpreter or sandbox. */
const MINIMUMS: StageLimits = { wallMs: 1, cpuMs: 1, memoryBytes: 16 * MiB, pids: 4, outputBytes: 0, fileBytes: 4096, openFiles: 16 };

export function resolveLimits(stage: 'compile' | 'run', requested: Partial<StageLimits> | undefined, table: EngineLimits = LIMITS): StageLimits {
  const out = { ...table.defaults[stage] };
  for (const [key, value] of Object.entries(requested ?? {}) as [keyof StageLimits, unknown][]) {
    if (!KEYS.includes(key)) throw new RuntimeError('invalid_limit', `Unknown ${stage} limit "${key}"; known limits are ${KEYS.join(', ')}.`);
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < MINIMUMS[key])
      throw new RuntimeError('invalid_limit', `The ${stage} limit ${key} must be a number of at least ${MINIMUMS[key]}, got ${JSON.stringify(value)}.`);
    const max = table.maximums[stage][key];
    if (value > max) throw new RuntimeError('limit_exceeds_maximum', `The ${stage} limit ${key}=${value} exceeds the maximum of ${max}.`);
    out[key] = Math.floor(value);
  }
  return out;
}
