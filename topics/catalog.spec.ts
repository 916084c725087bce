import avro from 'avsc';
import { allTopics, loadSchema } from './catalog';

describe('topic catalog', () => {
  it('declares a parseable Avro schema for every topic', () => {
    for (const spec of allTopics()) {
      expect(() => avro.Type.forSchema(loadSchema(spec) as avro.Schema)).not.toThrow();
    }
  });

  it('co-partitions editor.edits with every runs.requests topic', () => {
    const edits = allTopics().find((t) => t.name === 'editor.edits')!;
    const requests = allTopics().filter((t) => t.name.startsWith('runs.requests.'));
    expect(requests.length).toBeGreaterThanOrEqual(2);
    for (const r of requests) {
      expect(r.partitions).toBe(edits.partitions);
      expect(r.key).toBe(edits.key);
    }
  });

  it('keeps programs.snapshots compacted', () => {
    const snap = allTopics().find((t) => t.name === 'programs.snapshots')!;
    expect(snap.config['cleanup.policy']).toBe('compact');
  });
});
