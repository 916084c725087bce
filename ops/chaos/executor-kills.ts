import { seededRandom } from '../load/stats';
import { sleep } from '../../topics/ground/retry';
import type { ChaosRow } from './measure';
import { chaosStack, type ChaosStack } from './stack';
import { underLoad, waitFor } from './under-load';

/**
 * kill -9 an executor again and again under steady load: `members` executors
 * of one hardware class share its partitions; every `intervalMs` one of them
 * (chosen by a seeded draw) is killed without a drain and a replacement is
 * started, as the fleet manager heals a member. Nothing may be lost or shown
 * twice: requests are committed after their results, a dead member's
 * partitions move to the others, and the gateway shows one result per run id.
 */
export interface ExecutorKillOptions {
  kills: number;
  intervalMs: number;
  members: number;
  people: number;
  env?: NodeJS.ProcessEnv;
  seed?: number;
  /** A running stack to use (its x86_64 executors are the members); otherwise one of `members` executors is started. */
  stack?: ChaosStack;
  onProgress?: (m: string) => void;
}

export async function executorKills(o: ExecutorKillOptions): Promise<ChaosRow> {
  const say = o.onProgress ?? (() => undefined);
  const stack = o.stack ?? chaosStack({ env: o.env, onProgress: say });
  const rand = seededRandom(o.seed ?? 11);
  try {
    if (!o.stack) {
      await Promise.all([...Array.from({ length: o.members }, () => stack.executor('x86_64')), stack.gateway()]);
    }
    const note = `${o.kills} kills every ${o.intervalMs / 1000} s, ${stack.executors('x86_64').length} members of x86_64, ${o.people} sessions`;
    return await underLoad({ scenario: 'executor kill -9', note, urls: [stack.url()], people: o.people, onProgress: say }, async (fault) => {
      const replacements: Promise<unknown>[] = [];
      for (let k = 0; k < o.kills; k++) {
        // Never the last member: a kill waits for a replacement when only one is left.
        await waitFor(() => stack.executors('x86_64').length >= 2, 180_000, 'a second live executor');
        const members = stack.executors('x86_64');
        const victim = members[Math.floor(rand() * members.length)]!;
        fault(`kill -9 ${victim.name}`);
        await stack.kill(victim);
        // The replacement boots while the survivors take over, as a healing fleet's would.
        replacements.push(stack.executor('x86_64'));
        await sleep(o.intervalMs);
      }
      await Promise.all(replacements);
    });
  } finally {
    if (!o.stack) await stack.stopAll();
  }
}
