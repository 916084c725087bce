import type { KafkaMessage } from 'kafkajs';
import { deadLetterOf } from './dead-letter';

const message = (offset: string, key: string | null) => ({ offset, key: key === null ? null : Buffer.from(key), value: Buffer.from([0, 0, 0, 0, 7, 1]) }) as unknown as KafkaMessage;

describe('deadLetterOf', () => {
  it('keeps the bytes, the source position as id, the code, the reason and who gave up', () => {
    const dl = deadLetterOf(message('41', 'session-1'), { topic: 'runs.requests.x86_64', partition: 3 }, 'program_unavailable', 'The text is gone.', 'executor-x86_64-1', 'run-9');
    expect(dl).toMatchObject({
      id: 'runs.requests.x86_64/3/41', sourceTopic: 'runs.requests.x86_64', partition: 3, offset: 41, key: 'session-1',
      runId: 'run-9', code: 'program_unavailable', reason: 'The text is gone.', consumer: 'executor-x86_64-1',
    });
    expect(dl.payload).toEqual(Buffer.from([0, 0, 0, 0, 7, 1]));
  });

  it('gives a redelivered record the same id, and a record without key or run a null one', () => {
    const a = deadLetterOf(message('5', null), { topic: 'editor.edits', partition: 0 }, 'undecodable', 'bad bytes', 'g');
    const b = deadLetterOf(message('5', null), { topic: 'editor.edits', partition: 0 }, 'undecodable', 'bad bytes', 'g');
    expect(a.id).toBe(b.id);
    expect([a.key, a.runId]).toEqual([null, null]);
  });
});
