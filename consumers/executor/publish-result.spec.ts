import { RecordTooLargeError } from '../../topics/codec';
import type { RunResultRecord } from '../../topics/types';
import { publishResult } from './publish-result';

const base = { runId: 'r', status: 'ok', message: null, compile: null, run: { status: 'ok', stdout: 'out', stderr: '', stdoutTruncated: false, stderrTruncated: false } } as unknown as RunResultRecord;
const logger = { warn: () => undefined, error: () => undefined };

describe('publishing a result', () => {
  it('publishes the result when the broker takes it, after retrying a passing failure', async () => {
    const sent: RunResultRecord[] = [];
    let calls = 0;
    const published = await publishResult(base, {
      maxRecordBytes: 1 << 20, stopping: () => false, logger,
      send: async (r) => {
        if (++calls === 1) throw new Error('leader not available');
        sent.push(r);
      },
    });
    expect(published.status).toBe('ok');
    expect(sent).toHaveLength(1);
  });

  it('answers internal_error with the reason when the result itself is refused', async () => {
    const sent: RunResultRecord[] = [];
    const published = await publishResult(base, {
      maxRecordBytes: 1 << 20, stopping: () => false, logger,
      send: async (r) => {
        if (r.status === 'ok') throw new RecordTooLargeError('runs.results', 2e6, 1e6);
        sent.push(r);
      },
    });
    expect(published).toMatchObject({ status: 'internal_error', message: expect.stringContaining('does not fit topic runs.results') });
    expect(sent).toEqual([published]);
  });

  it('gives up only when the executor stops, leaving the request to its next owner', async () => {
    let stopping = false;
    setTimeout(() => (stopping = true), 300);
    await expect(publishResult(base, { maxRecordBytes: 1 << 20, stopping: () => stopping, logger, send: async () => Promise.reject(new Error('broker down')) })).rejects.toThrow(/Stopped/);
  });
});
