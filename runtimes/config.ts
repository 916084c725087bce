import { z } from 'zod';
import { env, readSection } from '../topics/ground/env';

/** Settings of the runtimes engine, read once from the environment. */
export const runtimesSection = z.object({
  CONVEYOR_RUNTIMES_HARDWARE_CLASSES: env.list('x86_64,arm64'),
  CONVEYOR_RUNTIMES_POOL_SIZE: env.int(2, 0, 64),
  CONVEYOR_RUNTIMES_CACHE_MAX_BYTES: env.int(512 * 1024 * 1024, 1024 * 1024, 1024 * 1024 * 1024 * 1024),
  CONVEYOR_RUNTIMES_CGROUP_PARENT: env.str('conveyor-runtimes'),
  CONVEYOR_RUNTIMES_CPU_CORES: env.int(1, 1, 64),
  /** Stages forked from a warm runtime in fresh namespaces: python (both sets), native (compiled programs' run stage), compile (their compile stage); empty = one-shot sandboxes. */
  CONVEYOR_RUNTIMES_FORK: env.list('python,native,compile'),
  /** Children each forking runtime keeps forked ahead per stage plan, set up before their run arrives (runtimes/zygotes.ts); 0 = every run forks on demand. */
  CONVEYOR_RUNTIMES_FORK_AHEAD: env.int(2, 0, 8),
  /** Languages compiled by a warm compiler server (runtimes/compiler-server.ts): java; empty = every compile in a sandbox of its own. */
  CONVEYOR_RUNTIMES_COMPILER_SERVERS: env.list('java'),
});

export type RuntimesConfig = z.infer<typeof runtimesSection>;

export function readRuntimesConfig(e: NodeJS.ProcessEnv = process.env): RuntimesConfig {
  return readSection(runtimesSection, e);
}
