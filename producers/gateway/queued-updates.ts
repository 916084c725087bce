import type { QueuedRunPosition } from '../../topics/types';

/**
 * How often a waiting run's client hears its place (`queued`, docs/editor-protocol.md): at
 * most once a QUEUED_MIN_GAP_MS after the first, except that place 1 (next) is always told.
 * Every executors.load report lists the queue again, and under load each one moves every
 * waiting run by a place: at 32 sessions a Python hello run's client got 6.5 `queued`
 * messages besides its three others (run_accepted, output, result), each a JSON
 * serialisation and a socket write in the gateway and a parse in the client.
 */
export const QUEUED_MIN_GAP_MS = 1000;

/** For one run: whether a report's position is worth a `queued` message now. */
export function queuedUpdates(minGapMs = QUEUED_MIN_GAP_MS) {
  let told: QueuedRunPosition | undefined;
  let toldAt = 0;
  return (q: QueuedRunPosition, now: number): boolean => {
    // Only what changed: reports repeat while nothing moves.
    if (told && q.position === told.position && Math.abs(q.expectedStartMs - told.expectedStartMs) < 250) return false;
    const next = q.position === 1 && told?.position !== 1;
    if (told && !next && now - toldAt < minGapMs) return false;
    told = q;
    toldAt = now;
    return true;
  };
}
