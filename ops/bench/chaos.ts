import { brokerLeaderKill, brokerRestart } from '../chaos/brokers';
import { chaosCluster } from '../chaos/cluster';
import { executorKills } from '../chaos/executor-kills';
import { CHAOS_COLUMNS, chaosRowCells, type ChaosRow } from '../chaos/measure';
import { analyticsOutage, gatewayKill, registryOutage } from '../chaos/outages';
import { overload } from '../chaos/overload';
import type { ReportSection } from './section';

/**
 * `bench chaos`: the full chaos scenarios (test/chaos/ runs short ones) and
 * their table. At scale 1: 20 executor kills, the partition leaders' broker
 * of a 3-broker cluster killed 3 times, the registry down 60 s, analytics
 * down 5 min, 3 gateway kills, a broker restart, 10× overload for 60 s.
 * `--chaos-scale x` multiplies kill counts and outage lengths (at least one
 * kill, at least 5 s), for a quicker look.
 */
export const CHAOS_SCENARIOS = ['executor-kills', 'broker-leader-kill', 'registry-outage', 'analytics-outage', 'gateway-kill', 'broker-restart', 'overload'] as const;

export async function benchChaos(o: { scale: number; only?: string[]; onProgress?: (m: string) => void }): Promise<ReportSection> {
  for (const s of o.only ?? []) if (!(CHAOS_SCENARIOS as readonly string[]).includes(s)) throw Object.assign(new Error(`unknown chaos scenario "${s}"; scenarios are ${CHAOS_SCENARIOS.join(', ')}`), { code: 'unknown_scenario' });
  const say = o.onProgress ?? (() => undefined);
  const n = (k: number) => Math.max(1, Math.round(k * o.scale));
  const ms = (s: number) => Math.max(5000, Math.round(s * 1000 * o.scale));
  const rows: ChaosRow[] = [];
  const failures: string[] = [];
  const step = async (name: string, f: () => Promise<ChaosRow>) => {
    if (o.only?.length && !o.only.includes(name.replace(/ /g, '-'))) return;
    say(`${name}…`);
    try {
      const row = await f();
      rows.push(row);
      say(`${name}: ${chaosRowCells(row).join(' | ')}`);
    } catch (err) {
      failures.push(`${name}: ${(err as Error).message}`);
      say(`${name} failed: ${(err as Error).stack}`);
    }
  };
  await step('executor kills', () => executorKills({ kills: n(20), intervalMs: 5000, members: 3, people: 6, onProgress: say }));
  await step('broker leader kill', async () => {
    const cluster = await chaosCluster(say);
    try {
      return await brokerLeaderKill({ cluster, kills: n(3), downMs: ms(10), people: 6, onProgress: say });
    } finally {
      await cluster.stop();
    }
  });
  await step('registry outage', () => registryOutage({ downMs: ms(60), people: 4, onProgress: say }));
  await step('analytics outage', () => analyticsOutage({ downMs: ms(300), people: 4, onProgress: say }));
  await step('gateway kill', () => gatewayKill({ kills: n(3), downMs: 5000, people: 6, onProgress: say }));
  await step('broker restart', () => brokerRestart({ restarts: 1, downMs: ms(10), people: 4, onProgress: say }));
  await step('overload', () => overload({ factor: 10, seconds: Math.max(8, Math.round(60 * o.scale)), slots: 2, runSeconds: 0.5, maxWaitMs: 10_000, onProgress: say }));
  return {
    name: 'chaos',
    tables: [
      { title: `Chaos under steady editor load (scale ${o.scale}; runs lost, duplicates and acknowledged edits lost must be 0)`, columns: CHAOS_COLUMNS, rows: rows.map(chaosRowCells) },
      // A scenario that could not finish is a finding too: listed, not hidden behind the section's error.
      ...(failures.length ? [{ title: 'Scenarios that did not finish', columns: ['scenario', 'error'], rows: failures.map((f) => [f.split(':')[0]!, f.slice(f.indexOf(':') + 1, 300).trim()]) }] : []),
    ],
  };
}
