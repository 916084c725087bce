import { randomUUID } from 'node:crypto';
import { readRecordedRuns } from '../../stream-processors/replay/recorded-runs';
import { resultPartition } from '../../stream-processors/replay/session-reader';
import { requestsTopic, topics, type TopicSpec } from '../../topics/catalog';
import { createTypedProducer } from '../../topics/codec';
import type { EditEvent } from '../../topics/types';
import { editEvent, runRequest, runResult } from '../analytics/fixtures';
import { realInfra } from '../support/infra';

const { kafka, registry } = realInfra('replay-recorded-runs-test');

describe('recorded runs', () => {
  it('rebuilds programs of sessions opened before the first window by widening the edit window only for them, and says which cannot be rebuilt', async () => {
    const prefix = `rr${randomUUID().slice(0, 8)}`;
    const deps = `${prefix}-deps`;
    const partition = 5;
    const s1 = `${prefix}-old`;
    const s2 = `${prefix}-gap`;
    const event = (sessionId: string, version: number, files: EditEvent['files']): EditEvent => ({
      ...editEvent(prefix, version, Date.now()), eventId: `${sessionId}-v${version}`, sessionId, dependencySet: deps, baseVersion: version - 1, version, kind: version === 1 ? 'open' : 'edit',
      files, ops: files ? [] : [{ file: 'main.py', offset: 0, deleteCount: 0, insert: '#' }],
    });
    const producer = await createTypedProducer(kafka, registry);
    const put = async <T>(spec: TopicSpec<T>, key: string, value: T) => producer.send(spec, [{ key, value, partition }]);
    // Session 1 opened 2 s before the window, edited 0.5 s before it (full text each time); session 2 holds only an
    // edit whose base is not retained. The first window is 200 ms: 0.2 s finds nothing, 0.8 s version 2, 3.2 s version 1.
    await put(topics.edits, s1, event(s1, 1, [{ name: 'main.py', content: 'print("opened")\n' }]));
    await put(topics.edits, s2, event(s2, 5, null));
    await new Promise((r) => setTimeout(r, 1500));
    await put(topics.edits, s1, event(s1, 2, [{ name: 'main.py', content: 'print("edited")\n' }]));
    await new Promise((r) => setTimeout(r, 500));
    const now = Date.now();
    const reqs = [
      { ...runRequest(prefix, 0, now), runId: `${prefix}-r1`, sessionId: s1, programVersion: 1, dependencySet: deps },
      { ...runRequest(prefix, 1, now), runId: `${prefix}-r2`, sessionId: s1, programVersion: 2, dependencySet: deps },
      { ...runRequest(prefix, 2, now), runId: `${prefix}-r3`, sessionId: s2, programVersion: 5, dependencySet: deps },
    ];
    for (const r of reqs) await put(requestsTopic(r.hardwareClass), r.sessionId, r);
    await producer.send(topics.results, reqs.map((r, i) => {
      const res = { ...runResult(prefix, i, { at: now + 10 }), runId: r.runId, sessionId: r.sessionId, hardwareClass: r.hardwareClass, dependencySet: deps };
      return { key: r.runId, value: res, partition: resultPartition(r.runId) };
    }));
    await producer.disconnect();

    const q = { fromMs: now, toMs: now + 1000, dependencySet: deps, lookbackMs: 200 };
    // Session 1 alone: exactly as many windows as its age needs.
    const one = await readRecordedRuns(kafka, registry, { ...q, skip: new Set([`${prefix}-r3`]) });
    expect(one.runs.map((r) => [r.request.runId, r.files.map((f) => f.content).join('')])).toEqual([[`${prefix}-r1`, 'print("opened")\n'], [`${prefix}-r2`, 'print("edited")\n']]);
    expect(one.editWindows).toBe(3);

    // With session 2, whose program no window can rebuild: the windows go on to the start of the retained log, then it is reported.
    const all = await readRecordedRuns(kafka, registry, q);
    expect(all.runs.map((r) => r.request.runId)).toEqual([`${prefix}-r1`, `${prefix}-r2`]);
    expect(all.withoutText).toEqual([{ runId: `${prefix}-r3`, reason: expect.stringContaining(s2) }]);
    expect(all.editWindows).toBeGreaterThan(3);
  }, 120000);
});
