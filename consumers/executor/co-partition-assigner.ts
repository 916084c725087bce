import { AssignerProtocol, type Assigner, type PartitionAssigner } from 'kafkajs';

/**
 * Gives each member the same partition numbers of every subscribed topic, in
 * contiguous blocks: the executor that owns partition p of runs.requests also
 * owns partition p of editor.edits (so it holds the program's text), and
 * contiguous blocks line up with the dependency-set ranges of the router.
 */
export function blocksFor(partitions: number, members: string[]): Map<string, number[]> {
  const sorted = [...members].sort();
  const out = new Map<string, number[]>(sorted.map((m) => [m, []]));
  sorted.forEach((m, i) => {
    const from = Math.floor((i * partitions) / sorted.length);
    const to = Math.floor(((i + 1) * partitions) / sorted.length);
    for (let p = from; p < to; p++) out.get(m)!.push(p);
  });
  return out;
}

export const CoPartitionAssigner: PartitionAssigner = ({ cluster }): Assigner => ({
  name: 'ConveyorCoPartitionAssigner',
  version: 1,
  async assign({ members, topics }) {
    const counts = topics.map((t) => cluster.findTopicPartitionMetadata(t).length);
    const blocks = blocksFor(Math.max(0, ...counts), members.map((m) => m.memberId));
    return [...blocks].map(([memberId, parts]) => ({
      memberId,
      memberAssignment: AssignerProtocol.MemberAssignment.encode({
        version: 1,
        assignment: Object.fromEntries(topics.map((t, i) => [t, parts.filter((p) => p < counts[i]!)])),
        userData: Buffer.alloc(0),
      }),
    }));
  },
  protocol({ topics }) {
    return { name: 'ConveyorCoPartitionAssigner', metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.alloc(0) }) };
  },
});
