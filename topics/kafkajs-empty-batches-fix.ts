import { loadKafkajs as load, requirePinnedKafkajs } from './kafkajs-internals';

/**
 * kafkajs 2.2.4 (pinned) hands the runner a batch for every partition a fetch
 * names, records or not. An executor reads editor.edits, its requests and its
 * controls (3 × 24 partitions locally) and fetches once for every produce
 * request it hears of, so nearly every fetch carries a few partitions with
 * records and ~70 without; each empty one still goes through the worker queue
 * (a promise, a worker turn, `handleBatch`) only to await a heartbeat.
 *
 * The replacement returns only the batches that carry records (including those
 * whose records kafkajs filters out: control records, aborted or compacted
 * ones, which still move the offset). A fetch left with none makes the runner
 * heartbeat once, as it does for an empty fetch, and a fetch with records
 * heartbeats from their batches; heartbeats are sent at most once per
 * interval either way, so the group sees the same member.
 */
type Batch = { rawMessages: unknown[] };
type ConsumerGroupInternals = { fetch(nodeId: number): Promise<Batch[]> };
/** kafkajs's ConsumerGroup class (not part of its typed API: the version is pinned). */
export const ConsumerGroup = load('kafkajs/src/consumer/consumerGroup') as { prototype: ConsumerGroupInternals };
/** kafkajs's own, for the spec. */
export const original = { fetch: ConsumerGroup.prototype.fetch };

/** The batches a fetch returned that carry records, filtered out by kafkajs or not. */
export function withRecords<B extends Batch>(batches: B[]): B[] {
  let kept = 0;
  for (const b of batches) if (b.rawMessages.length > 0) kept++;
  return kept === batches.length ? batches : batches.filter((b) => b.rawMessages.length > 0);
}

export async function fetchBatchesWithRecords(this: ConsumerGroupInternals, nodeId: number): Promise<Batch[]> {
  return withRecords(await original.fetch.call(this, nodeId));
}

/** Installs the replacement once per process (topics/kafka.ts does, before any client exists). */
export function fixKafkajsEmptyBatches(): void {
  requirePinnedKafkajs((installed) => `topics/kafkajs-empty-batches-fix.ts replaces a method of kafkajs 2.2.4, but ${installed} is installed: check that the runner still treats an empty batch as a heartbeat and update or remove the fix.`);
  ConsumerGroup.prototype.fetch = fetchBatchesWithRecords;
}
