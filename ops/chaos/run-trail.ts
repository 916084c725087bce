import type { Kafka } from 'kafkajs';
import { createRangeReader, type OffsetRange } from '../../stream-processors/replay/range-reader';
import { executorGroupId, REPEATED_RESULT_HEADER, requestsTopic, topics } from '../../topics/catalog';
import { decodeValue } from '../../topics/codec';
import type { Registry } from '../../topics/registry';

/**
 * Where a run the clients never got an answer for stopped, read from the
 * topics after a scenario: its request on runs.requests.<class> (and whether
 * the executor group committed past it), its results on runs.results (and
 * whether each gateway group committed past them). A lost run then names the
 * last hop it reached instead of only counting as one: "result read by its
 * gateway" means the gateway had it and did not deliver it.
 */
export type Hop =
  | 'no request on the topic'
  | 'request on the topic, not taken'
  | 'taken, no result on the topic'
  | 'result on the topic, not read by its gateway'
  | 'result read by its gateway';

export interface Located { partition: number; offset: number }

export interface RunTrail {
  runId: string;
  hop: Hop;
  request?: Located & { executorCommitted: number | null; replyTo: string };
  results: (Located & { status: string; executorId: string; replyTo: string; repeated: boolean })[];
  /** Each gateway group's committed offset on the results partition of the run. */
  gateways: Record<string, number | null>;
}

/** The last hop a run reached, from what the topics and the groups' commits say (pure: the spec checks it). */
export function hopOf(t: Omit<RunTrail, 'hop'>): Hop {
  if (!t.request) return 'no request on the topic';
  if (!t.results.length) {
    return t.request.executorCommitted !== null && t.request.executorCommitted > t.request.offset ? 'taken, no result on the topic' : 'request on the topic, not taken';
  }
  const passed = (r: RunTrail['results'][number]) => Object.entries(t.gateways).some(([g, c]) => g === `conveyor-gateway-${r.replyTo}` && c !== null && c > r.offset);
  return t.results.some(passed) ? 'result read by its gateway' : 'result on the topic, not read by its gateway';
}

export async function traceRuns(kafka: Kafka, registry: Registry, runIds: string[], hardwareClass = 'x86_64'): Promise<RunTrail[]> {
  if (!runIds.length) return [];
  const reqTopic = requestsTopic(hardwareClass).name;
  const wanted = new Set(runIds);
  const trails = new Map<string, Omit<RunTrail, 'hop'>>(runIds.map((id) => [id, { runId: id, results: [], gateways: {} }]));
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ranges: OffsetRange[] = [];
    for (const name of [reqTopic, topics.results.name]) {
      for (const o of await admin.fetchTopicOffsets(name)) ranges.push({ topic: name, partition: o.partition, from: Number(o.low), to: Number(o.high) });
    }
    const reader = await createRangeReader(kafka, [reqTopic, topics.results.name], { groupPrefix: 'conveyor-chaos-trail' });
    try {
      await reader.read(ranges, async (m, r) => {
        if (r.topic === reqTopic) {
          const d = await decodeValue(registry, m.value, requestsTopic(hardwareClass));
          const t = d.ok ? trails.get(d.value.runId) : undefined;
          if (d.ok && t) t.request = { partition: r.partition, offset: Number(m.offset), executorCommitted: null, replyTo: d.value.replyTo };
          return;
        }
        if (!wanted.has(m.key?.toString() ?? '')) return;
        const d = await decodeValue(registry, m.value, topics.results);
        if (!d.ok) return;
        trails.get(d.value.runId)?.results.push({
          partition: r.partition, offset: Number(m.offset), status: d.value.status, executorId: d.value.executorId, replyTo: d.value.replyTo, repeated: m.headers?.[REPEATED_RESULT_HEADER] !== undefined,
        });
      }, { timeoutMs: 60000 });
    } finally {
      await reader.close();
    }
    const committed = async (groupId: string, topic: string) => {
      const [o] = await admin.fetchOffsets({ groupId, topics: [topic] });
      return new Map((o?.partitions ?? []).map((p) => [p.partition, Number(p.offset) < 0 ? null : Number(p.offset)]));
    };
    const executors = await committed(executorGroupId(hardwareClass), reqTopic);
    const gatewayGroups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith('conveyor-gateway-'));
    const gateways = new Map(await Promise.all(gatewayGroups.map(async (g) => [g, await committed(g, topics.results.name)] as const)));
    for (const t of trails.values()) {
      if (t.request) t.request.executorCommitted = executors.get(t.request.partition) ?? null;
      const partition = t.results[0]?.partition;
      if (partition !== undefined) for (const [g, c] of gateways) t.gateways[g] = c.get(partition) ?? null;
    }
  } finally {
    await admin.disconnect();
  }
  return [...trails.values()].map((t) => ({ ...t, hop: hopOf(t) }));
}
