import { loadKafkajs as load, requirePinnedKafkajs } from './kafkajs-internals';

/**
 * kafkajs 2.2.4 (pinned in package.json) re-arms a timer every millisecond on
 * every broker connection for as long as the connection lives: its request
 * queue schedules the next check of pending requests even when none is
 * pending, with a delay of `throttledUntil - now`, which is negative while no
 * throttle is in force (upstream issues #1556 and #1704; the fix of #1667 was
 * never released). A process with a few clients has a dozen such loops: most
 * of what the gateway, the executor and the sink spent idle.
 *
 * The replacement keeps kafkajs's behaviour wherever it sends something (a
 * pending request is checked again after 10 ms, or when the throttle ends) and
 * schedules nothing when nothing is pending and nothing is throttled: a later
 * request is either sent at once by `push` or, pending, schedules its own check.
 */
interface RequestQueueInternals {
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  pending: unknown[];
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

/** kafkajs's own interval for a pending request (requestQueue/index.js CHECK_PENDING_REQUESTS_INTERVAL). */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

export function scheduleCheckPendingRequests(this: RequestQueueInternals): void {
  if (this.throttleCheckTimeoutId) return;
  const untilUnthrottled = this.throttledUntil - Date.now();
  let delay: number;
  if (this.pending.length > 0) delay = untilUnthrottled > 0 ? untilUnthrottled : CHECK_PENDING_REQUESTS_INTERVAL_MS;
  else if (untilUnthrottled > 0) delay = untilUnthrottled;
  else return;
  this.throttleCheckTimeoutId = setTimeout(() => {
    this.throttleCheckTimeoutId = null;
    this.checkPendingRequests();
  }, delay);
}

/** kafkajs's RequestQueue class (not part of its typed API: the version is pinned). */
export const RequestQueue = load('kafkajs/src/network/requestQueue') as { prototype: RequestQueueInternals; new (o: Record<string, unknown>): RequestQueueInternals };

/** Installs the replacement once per process (topics/kafka.ts does, before any client exists). */
export function fixKafkajsIdleLoop(): void {
  requirePinnedKafkajs((installed) => `topics/kafkajs-idle-fix.ts replaces a method of kafkajs 2.2.4, but ${installed} is installed: check whether the idle loop is still there and update or remove the fix.`);
  RequestQueue.prototype.scheduleCheckPendingRequests = scheduleCheckPendingRequests;
}
