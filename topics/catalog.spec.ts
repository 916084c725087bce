import avro from 'avsc';
import { allTopics, loadSchema, topics } from './catalog';

describe('topic catalog', () => {
  it('declares a parseable Avro schema for every topic', () => {
    for (const spec of allTopics()) {
      expect(() => avro.Type.forSchema(loadSchema(spec) as avro.Schema)).not.toThrow();
    }
  });

  it('co-partitions editor.edits with every runs.requests topic', () => {
    // By schema, not by name: the names carry CONVEYOR_TOPIC_PREFIX when the integration tests set it.
    const edits = allTopics().find((t) => t.schemaFile === 'EditEvent.avsc')!;
    const requests = allTopics().filter((t) => t.schemaFile === 'RunRequest.avsc');
    expect(requests.length).toBeGreaterThanOrEqual(2);
    for (const r of requests) {
      expect(r.partitions).toBe(edits.partitions);
      expect(r.key).toBe(edits.key);
    }
  });

  it('keeps programs.snapshots compacted', () => {
    const snap = allTopics().find((t) => t.name === topics.snapshots.name)!;
    expect(snap.config['cleanup.policy']).toBe('compact');
  });
});
