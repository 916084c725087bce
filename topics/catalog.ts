import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { env, readSection } from './ground/env';
import type { DeadLetter, EditEvent, ExecutorLoad, FleetEvent, PoolSizes, ProgramSnapshot, RunControl, RunOutput, RunRequest, RunResultRecord, RuntimeCurrent, ShareLink } from './types';

/**
 * Every topic Conveyor uses, declared once: name, partitions, key, retention
 * or compaction, and the Avro schema of its values. `conveyor topics apply`
 * makes the broker and the registry match this table.
 */
export interface TopicSpec<T = unknown> {
  name: string;
  partitions: number;
  key: string;
  schemaFile: string;
  /**
   * The largest record batch the topic accepts (its max.message.bytes).
   * Producers check every record against it before sending, and whoever fills a
   * record bounds its content below it (docs/decisions/reliability-record-sizes.md).
   */
  maxRecordBytes: number;
  config: Record<string, string>;
  doc: string;
  /**
   * How long the batching sender holds this topic's records after its
   * previous produce request was acknowledged, so that more join the next
   * one (topics/batching-sender.ts). Absent: sent at once.
   */
  produceLingerMs?: number;
  /** Phantom field tying the spec to its record type. */
  readonly _type?: T;
}

/**
 * editor.edits, programs.snapshots and every runs.requests/control.<class> share this count:
 * they are co-partitioned. Configuration per deployment (ROUTED_PARTITIONS, read once per
 * process): 24 locally; `conveyor topics plan` sizes it for a peak (512 for the design brief's).
 * Kafka only grows a count, and growing it moves sessions (docs/fleet.md).
 */
export const ROUTED_PARTITIONS = readSection(z.object({ ROUTED_PARTITIONS: env.int(24, 1, 4096) })).ROUTED_PARTITIONS;
/**
 * A prefix on every topic and fixed consumer group name (CONVEYOR_TOPIC_PREFIX,
 * read once per process; "" in production). The integration tests run under
 * "test." (test/support/isolation.ts), so they never share a topic or a group
 * with a developer's `npm start` on the same broker
 * (docs/decisions/test-isolation.md).
 */
export const TOPIC_PREFIX = readSection(
  z.object({ CONVEYOR_TOPIC_PREFIX: z.string().regex(/^([a-z][a-z0-9-]*\.)*$/, 'must be empty or dot-terminated words, e.g. "test."').default('') }),
).CONVEYOR_TOPIC_PREFIX;
/** A topic's or group's name without the process's prefix (what analytics tables are chosen by). */
export const unprefixed = (name: string) => (TOPIC_PREFIX && name.startsWith(TOPIC_PREFIX) ? name.slice(TOPIC_PREFIX.length) : name);
/** A fixed consumer group's name under the prefix. */
export const groupName = (base: string) => `${TOPIC_PREFIX}${base}`;
export const HARDWARE_CLASSES = ['x86_64', 'arm64', 'gpu'] as const;
export type HardwareClassName = (typeof HARDWARE_CLASSES)[number];

const DAY = 24 * 3600 * 1000;
const MiB = 1024 * 1024;
/** Every topic's max.message.bytes, but the dead-letter topic's. */
export const RECORD_MAX_BYTES = 8 * MiB;
/** A dead letter carries a record of any other topic plus its reason. */
export const DEAD_LETTER_MAX_BYTES = 2 * RECORD_MAX_BYTES;
/** What the local broker accepts (message.max.bytes, replica.fetch.max.bytes): the largest topic's limit. */
export const BROKER_MAX_MESSAGE_BYTES = DEAD_LETTER_MAX_BYTES;
/**
 * What every consumer lets one fetch carry. kafkajs drops a record batch that a
 * fetch cut short and asks again from the same offset, so a partition whose next
 * batch is larger than maxBytesPerPartition (kafkajs's default is 1 MiB) stands
 * still for as long as other partitions answer first: every consumer can take
 * the largest record any topic accepts, and a fetch holds a few of them.
 */
export const CONSUMER_FETCH_LIMITS = { maxBytesPerPartition: BROKER_MAX_MESSAGE_BYTES, maxBytes: 4 * BROKER_MAX_MESSAGE_BYTES } as const;
/**
 * How long a long-lived consumer's fetch waits at the broker when nothing is
 * new. It costs no latency: the broker answers a waiting fetch as soon as a
 * record arrives, and kafkajs fetches on a connection of its own, so commits
 * and heartbeats never queue behind it. What it sets is the idle cost: every
 * empty answer is a request the broker and the client handle for nothing
 * (50–100 ms waits cost the stack ~300 ms of CPU per second idle,
 * docs/decisions/bench-baselines-and-hops.md). Consumers that detect the end
 * of a range by idleness (snapshot and range readers) keep short waits.
 */
export const LIVE_FETCH_WAIT_MS = 500;

function topic<T>(spec: Omit<TopicSpec<T>, '_type' | 'maxRecordBytes'> & { maxRecordBytes?: number }): TopicSpec<T> {
  const maxRecordBytes = spec.maxRecordBytes ?? RECORD_MAX_BYTES;
  return { ...spec, name: `${TOPIC_PREFIX}${spec.name}`, maxRecordBytes, config: { ...spec.config, 'max.message.bytes': String(maxRecordBytes) } };
}

/**
 * Header of a runs.results record that repeats a result already published
 * (an executor answering a run asked for again under its run id, after the
 * gateway that was waiting died): gateways deliver it, the analytics sink
 * does not store the run a second time.
 */
export const REPEATED_RESULT_HEADER = 'repeated';

/**
 * Edits wait at most this long after the gateway's previous produce request was
 * acknowledged (never when it was idle; less once the acknowledged sessions'
 * next edits are back), so the edits of many sessions share one request: every
 * request costs the broker, and every executor's fetch it wakes, far more than
 * its records do (docs/decisions/bench-baselines-and-hops.md). 12 ms lets 128
 * typing sessions share one request where 4 ms split them over about two.
 */
export const EDIT_LINGER_MS = 12;

export const topics = {
  edits: topic<EditEvent>({
    name: 'editor.edits', partitions: ROUTED_PARTITIONS, key: 'sessionId', schemaFile: 'EditEvent.avsc',
    config: { 'cleanup.policy': 'delete', 'retention.ms': String(30 * DAY) },
    doc: 'Every edit of every session, in order per session: the replayable history of what people typed.',
    produceLingerMs: EDIT_LINGER_MS,
  }),
  snapshots: topic<ProgramSnapshot>({
    name: 'programs.snapshots', partitions: ROUTED_PARTITIONS, key: 'sessionId', schemaFile: 'ProgramSnapshot.avsc',
    config: { 'cleanup.policy': 'compact', 'min.cleanable.dirty.ratio': '0.1', 'segment.ms': String(3600 * 1000) },
    doc: 'Latest text and version per session; rebuilds executor buffers after a restart.',
  }),
  output: topic<RunOutput>({
    name: 'runs.output', partitions: 6, key: 'runId', schemaFile: 'RunOutput.avsc',
    config: { 'cleanup.policy': 'delete', 'retention.ms': String(DAY) },
    doc: 'Live output chunks of runs.',
  }),
  results: topic<RunResultRecord>({
    name: 'runs.results', partitions: 6, key: 'runId', schemaFile: 'RunResult.avsc',
    config: { 'cleanup.policy': 'delete', 'retention.ms': String(7 * DAY) },
    doc: 'Final results with resource usage.',
  }),
  load: topic<ExecutorLoad>({
    name: 'executors.load', partitions: 1, key: 'executorId', schemaFile: 'ExecutorLoad.avsc',
    config: { 'cleanup.policy': 'compact,delete', 'retention.ms': String(600 * 1000), 'segment.ms': String(60 * 1000) },
    doc: 'Each executor\'s queue (a few records a second while it changes): the gateway\'s admission and `queued` messages read it.',
  }),
  dlq: topic<DeadLetter>({
    name: 'runs.dlq', partitions: 1, key: 'id', schemaFile: 'DeadLetter.avsc', maxRecordBytes: DEAD_LETTER_MAX_BYTES,
    config: { 'cleanup.policy': 'delete', 'retention.ms': String(30 * DAY) },
    doc: 'Records that could not be processed, with the reason.',
  }),
  fleet: topic<FleetEvent>({
    // One partition: the history of every fleet in one order, as `conveyor fleet history` reads it.
    name: 'ops.fleet', partitions: 1, key: 'hardwareClass', schemaFile: 'FleetEvent.avsc',
    config: { 'cleanup.policy': 'delete', 'retention.ms': String(90 * DAY) },
    doc: 'Every change of the executor fleets: member states, desired sizes and scaling decisions with their reasons.',
  }),
  links: topic<ShareLink>({
    // Compacted: the latest state per link id, read whole by every gateway into its index (docs/decisions/editor-share-links.md).
    name: 'editor.links', partitions: 3, key: 'linkId', schemaFile: 'ShareLink.avsc',
    config: { 'cleanup.policy': 'compact', 'min.cleanable.dirty.ratio': '0.1', 'segment.ms': String(3600 * 1000), 'max.message.bytes': String(1024 * 1024) },
    doc: 'Shared editor states (/z/<id>), keyed by their content-derived id; a tombstone deletes one.',
  }),
  runtimesCurrent: topic<RuntimeCurrent>({
    // Compacted: the latest switch per language, read whole by every gateway (docs/decisions/runtime-versions.md).
    name: 'runtimes.current', partitions: 1, key: 'language', schemaFile: 'RuntimeCurrent.avsc',
    config: { 'cleanup.policy': 'compact', 'min.cleanable.dirty.ratio': '0.1', 'segment.ms': String(3600 * 1000) },
    doc: 'The toolchain version new sessions of each language get; `conveyor runtimes set-current` writes it.',
  }),
  pools: topic<PoolSizes>({
    // Compacted: the latest sizes per class, read whole by every executor at start and followed (docs/fleet.md, warm pools).
    name: 'runtimes.pools', partitions: 1, key: 'hardwareClass', schemaFile: 'PoolSizes.avsc',
    config: { 'cleanup.policy': 'compact', 'min.cleanable.dirty.ratio': '0.1', 'segment.ms': String(3600 * 1000) },
    maxRecordBytes: 1024 * 1024,
    doc: 'Warm-pool sizes per dependency set for the executors of each class, from the forecast; the fleet manager writes them.',
  }),
} as const;

export function requestsTopic(hardwareClass: string): TopicSpec<RunRequest> {
  return topic<RunRequest>({
    name: `runs.requests.${hardwareClass}`, partitions: ROUTED_PARTITIONS, key: 'sessionId', schemaFile: 'RunRequest.avsc',
    config: { 'cleanup.policy': 'delete', 'retention.ms': String(7 * DAY) },
    doc: `Run requests for executors of hardware class ${hardwareClass}, co-partitioned with editor.edits.`,
  });
}

export function controlTopic(hardwareClass: string): TopicSpec<RunControl> {
  return topic<RunControl>({
    name: `runs.control.${hardwareClass}`, partitions: ROUTED_PARTITIONS, key: 'sessionId', schemaFile: 'RunControl.avsc',
    config: { 'cleanup.policy': 'delete', 'retention.ms': String(DAY) },
    doc: `Stdin, signals and cancellation for runs in flight on ${hardwareClass}, co-partitioned with its run requests.`,
  });
}

export function allTopics(): TopicSpec[] {
  return [...Object.values(topics), ...HARDWARE_CLASSES.map(requestsTopic), ...HARDWARE_CLASSES.map(controlTopic)];
}

/** The consumer group of the executors of one hardware class (of a topic namespace, see namespaced). */
export function executorGroupId(hardwareClass: string, namespace = ''): string {
  return groupName(namespace ? `conveyor-executors-${namespace.replace(/\.$/, '')}-${hardwareClass}` : `conveyor-executors-${hardwareClass}`);
}

/**
 * The same topic under a namespace prefix ("replay." → "replay.runs.results"):
 * a replay's candidate executors consume and produce only there, never on the
 * users' topics. Same schema and partitions; short retention.
 */
export function namespaced<T>(spec: TopicSpec<T>, namespace: string): TopicSpec<T> {
  if (!namespace) return spec;
  return { ...spec, name: `${namespace}${spec.name}`, config: { ...spec.config, 'cleanup.policy': spec.config['cleanup.policy'] ?? 'delete', 'retention.ms': String(DAY) }, doc: `${spec.doc} (namespace ${namespace})` };
}

/** Every topic an executor of one hardware class uses, in a namespace ('' = the users' topics). */
export function executorTopics(hardwareClass: string, namespace = '') {
  return {
    edits: namespaced(topics.edits, namespace),
    snapshots: namespaced(topics.snapshots, namespace),
    output: namespaced(topics.output, namespace),
    results: namespaced(topics.results, namespace),
    dlq: namespaced(topics.dlq, namespace),
    requests: namespaced(requestsTopic(hardwareClass), namespace),
    control: namespaced(controlTopic(hardwareClass), namespace),
  };
}

/** The registry subject of a topic's values (Confluent TopicNameStrategy). */
export function subjectOf(spec: TopicSpec): string {
  return `${spec.name}-value`;
}

export function loadSchema(spec: TopicSpec): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(__dirname, 'schemas', spec.schemaFile), 'utf8')) as Record<string, unknown>;
}
