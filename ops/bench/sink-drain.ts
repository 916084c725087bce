import type { SinkStatus } from '../../consumers/sink/sink';
import { sleep } from '../../topics/ground/retry';

/** What the bench reads of the analytics sink (GET /api/stats/lag on its service). */
export type SinkDrainState = Pick<SinkStatus, 'totalLag' | 'lagCheckedAt' | 'bufferedRows' | 'inFlightRows'>;

/** Reads the sink's state from its service; null when it does not answer or runs no sink. */
export function sinkStateOf(analyticsUrl: string): () => Promise<SinkDrainState | null> {
  return async () => {
    try {
      const res = await fetch(`${analyticsUrl}/api/stats/lag`, { signal: AbortSignal.timeout(1000) });
      if (!res.ok) return null;
      const body = (await res.json()) as Partial<SinkDrainState> & { state?: string };
      return body.state === 'not_running' || typeof body.totalLag !== 'number' ? null : (body as SinkDrainState);
    } catch {
      return null;
    }
  };
}

/**
 * Waits until the sink has loaded everything produced before `since`: nothing
 * buffered or being inserted, and no lag in a check the sink made after
 * `since` (it checks every 5 s; lag counts committed offsets, and the sink
 * commits after an insert). Returns the milliseconds waited, or null if it
 * was still loading (or not answering) when `deadlineMs` ran out.
 */
export async function waitForSinkDrain(
  read: () => Promise<SinkDrainState | null>,
  o: { since: number; deadlineMs: number; pollMs?: number; now?: () => number; sleep?: (ms: number) => Promise<void> },
): Promise<number | null> {
  const now = o.now ?? Date.now;
  const pause = o.sleep ?? sleep;
  const start = now();
  for (;;) {
    const s = await read();
    if (s && s.bufferedRows === 0 && s.inFlightRows === 0 && s.totalLag === 0 && (s.lagCheckedAt ?? -Infinity) > o.since) return now() - start;
    if (now() - start >= o.deadlineMs) return null;
    await pause(o.pollMs ?? 250);
  }
}
