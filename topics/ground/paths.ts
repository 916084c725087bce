import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { env, readSection } from './env';

export const repoRoot = path.resolve(__dirname, '..', '..');

const section = z.object({
  CONVEYOR_STATE_DIR: env.str(path.join(repoRoot, '.state')),
  CONVEYOR_CACHE_DIR: env.str(path.join(os.homedir(), '.cache', 'conveyor')),
});

/** Where runtime state (logs, pids, data) and download caches live. */
export function paths(e: NodeJS.ProcessEnv = process.env) {
  const c = readSection(section, e);
  return { state: path.resolve(c.CONVEYOR_STATE_DIR), cache: path.resolve(c.CONVEYOR_CACHE_DIR) };
}
