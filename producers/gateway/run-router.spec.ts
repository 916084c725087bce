import { topics } from '../../topics/catalog';
import { CONSUMER_RETRY } from '../../topics/consumer-retry';
import type { BatchingSender } from '../../topics/batching-sender';
import { fakeKafka, fakeRegistry, recordingLogger, UNKNOWN_SCHEMA_ID, wireValue } from '../../topics/test-fakes';
import type { RunResultRecord } from '../../topics/types';
import { createRunRouter } from './run-router';

const result = (runId: string) => ({ runId, replyTo: 'gw-1', outputChunks: 0, status: 'ok' }) as RunResultRecord;

async function router() {
  const k = fakeKafka();
  const r = fakeRegistry();
  const { logger, lines } = recordingLogger();
  const rr = createRunRouter({ kafka: k.kafka, registry: r.registry, sender: {} as BatchingSender, gatewayId: 'gw-1', remember: 100, logger, deadlineMs: 60_000, decodeDeadlineMs: 50 });
  await rr.start();
  const answered: string[] = [];
  const listen = (runId: string) => rr.listen(runId, { onResult: (x) => void answered.push(x.runId) });
  return { ...k, ...r, rr, lines, answered, listen };
}

describe('the run router, reading results while the schema registry is away', () => {
  it('runs its consumer with the long-lived consumers retry policy', async () => {
    const t = await router();
    expect(t.configs[0]!.retry).toBe(CONSUMER_RETRY);
    await t.rr.stop();
  });

  it('does not commit a result it could not decode for now: the delivery throws and nothing is committed', async () => {
    const t = await router();
    t.listen('run-1');
    t.state.down = true;
    await expect(t.deliver(topics.results.name, 0, 5, wireValue(result('run-1')))).rejects.toMatchObject({ name: 'TransientDecodeError', code: 'registry_unavailable' });
    await t.rr.stop();
    expect(t.commits.flat()).toEqual([]);
    expect(t.answered).toEqual([]);
    // It beat while it waited for the registry.
    expect(t.heartbeats()).toBeGreaterThan(0);
  });

  it('answers the run when the same record is read again with the registry back, then commits past it', async () => {
    const t = await router();
    t.listen('run-1');
    t.state.down = true;
    await expect(t.deliver(topics.results.name, 0, 5, wireValue(result('run-1')))).rejects.toThrow(/not decodable for now/);
    t.state.down = false;
    await t.deliver(topics.results.name, 0, 5, wireValue(result('run-1')));
    expect(t.answered).toEqual(['run-1']);
    await t.rr.stop();
    expect(t.commits.flat()).toEqual([{ topic: topics.results.name, partition: 0, offset: '6' }]);
  });

  it('skips a record that can never be decoded, with a warning, and commits past it', async () => {
    const t = await router();
    await t.deliver(topics.output.name, 2, 7, wireValue({ runId: 'run-2' }, UNKNOWN_SCHEMA_ID));
    await t.deliver(topics.output.name, 2, 8, Buffer.from('not the wire format'));
    expect(t.lines.filter((l) => l.msg === 'record not decodable; skipped')).toHaveLength(2);
    await t.rr.stop();
    expect(t.commits.flat()).toEqual([{ topic: topics.output.name, partition: 2, offset: '9' }]);
  });
});

describe('the run router, reading a run\'s output again', () => {
  const chunk = (seq: number, data: string, stage: 'compile' | 'run' = 'run') =>
    ({ runId: 'run-3', sessionId: 's', replyTo: 'gw-1', seq, stage, stream: 'stdout', data, timestampMs: 1 });

  it('delivers each chunk once when the records are read twice, and the result after all distinct chunks', async () => {
    const t = await router();
    const heard: string[] = [];
    t.rr.listen('run-3', { onOutput: (o) => void heard.push(o.data), onResult: (r) => void heard.push(`result ${r.runId}`) });
    await t.deliver(topics.output.name, 1, 10, wireValue(chunk(-1, '', 'compile')));
    await t.deliver(topics.output.name, 1, 11, wireValue(chunk(0, 'a')));
    // The consumer restarted before it committed offset 12: offsets 10 and 11 come again.
    await t.deliver(topics.output.name, 1, 10, wireValue(chunk(-1, '', 'compile')));
    await t.deliver(topics.output.name, 1, 11, wireValue(chunk(0, 'a')));
    await t.deliver(topics.results.name, 1, 4, wireValue({ ...result('run-3'), outputChunks: 4 }));
    // Two of its four chunks are in, whatever was read twice: the result waits.
    expect(heard).toEqual(['', 'a']);
    await t.deliver(topics.output.name, 1, 12, wireValue(chunk(-1, '', 'run')));
    await t.deliver(topics.output.name, 1, 13, wireValue(chunk(1, 'b')));
    expect(heard).toEqual(['', 'a', '', 'b', 'result run-3']);
    await t.rr.stop();
  });
});
