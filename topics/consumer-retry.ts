import type { ConsumerConfig, RetryOptions } from 'kafkajs';
import { CONSUMER_FETCH_LIMITS } from './catalog';

/**
 * How a long-lived consumer (run router, admission, share links, compacted
 * followers, executor, sink) rides out a broker that dies or a handler that
 * throws (a record not decodable for now). kafkajs's runner retries a failed
 * fetch, or an eachMessage that threw, with this policy, reading again from
 * the last message handled; when the retries run out the consumer crashes and
 * kafkajs restarts it from the committed offsets, when the error is retriable
 * and `restartOnFailure` says so (a rejoin: a rebalance, a second re-read).
 *
 * Without one, `kafka.consumer()` merges its own default `{ retries: 5 }` over
 * the client's policy (topics/kafka.ts, 100 ms doubling): five retries within
 * ~3 s, shorter than a killed broker takes to be fenced (4 s), so every broker
 * kill crashed the gateway's consumers. From 300 ms, doubling up to 2 s, these
 * 14 retries wait ~24 s in all: the fence, the new leaders' election and a
 * broker restart fit inside, and a broker that is back is tried again within
 * 2 s (a 5 s cap resumed later: broker restart, docs/decisions/chaos-suite.md).
 * Multiplier and jitter are given too, so the policy is the same under jest
 * (whose NODE_ENV=test changes kafkajs's defaults).
 */
export const CONSUMER_RETRY = {
  initialRetryTime: 300,
  maxRetryTime: 2000,
  retries: 14,
  multiplier: 2,
  factor: 0.2,
  // kafkajs asks only after a retriable failure: a long-lived consumer always comes back (kafkajs logs the crash).
  restartOnFailure: async () => true,
} as const satisfies RetryOptions;

/**
 * What an idle live consumer asks of the broker. Each of them is the only member of its
 * group (one group per gateway, or per follower), so its beat only keeps its session: no
 * one's rebalance waits for it. A beat every 3 s (a third of the session) and a fetch wait
 * of 1 s make 1.3 requests a second instead of 3 (a beat a second, a fetch every 500 ms).
 * The wait costs no latency (LIVE_FETCH_WAIT_MS), but a stop waits for the fetch in flight
 * (kafkajs's fetcher), so it stays short.
 */
export const LIVE_GROUP_FETCH_WAIT_MS = 1000;
export const LIVE_GROUP_HEARTBEAT_MS = 3000;

/**
 * The settings of a long-lived consumer that follows live records (run router, admission,
 * share links, compacted followers): the fetch limits, the fetch wait and beat above, a
 * 10 s session, and CONSUMER_RETRY.
 */
export const liveConsumerConfig = (groupId: string): ConsumerConfig => ({
  ...CONSUMER_FETCH_LIMITS, groupId, maxWaitTimeInMs: LIVE_GROUP_FETCH_WAIT_MS, sessionTimeout: 10000, heartbeatInterval: LIVE_GROUP_HEARTBEAT_MS, retry: CONSUMER_RETRY,
});
