import type { KafkaMessage } from 'kafkajs';
import { topics } from './catalog';
import { decodeConsumed } from './decode-consumed';
import { fakeRegistry, UNKNOWN_SCHEMA_ID, wireValue } from './test-fakes';

const message = (value: Buffer | null) => ({ key: null, value, offset: '3', timestamp: '0', attributes: 0, headers: {} }) as KafkaMessage;

describe('decoding a consumed record', () => {
  it('throws a record the registry cannot decode for now (so it is read again), after beating while it waited', async () => {
    const { registry, state } = fakeRegistry();
    state.down = true;
    let beats = 0;
    const retries: number[] = [];
    const d = decodeConsumed(registry, topics.results, message(wireValue({ runId: 'r' })), {
      deadlineMs: 60, heartbeat: async () => void beats++, onRetry: (_r, n) => void retries.push(n),
    });
    await expect(d).rejects.toMatchObject({ name: 'TransientDecodeError', code: 'registry_unavailable', message: expect.stringContaining(topics.results.name) });
    expect(retries[0]).toBe(1);
    expect(beats).toBe(retries.length);
  });

  it('returns the value once the registry answers, and a failure for a record that can never be decoded', async () => {
    const { registry } = fakeRegistry();
    expect(await decodeConsumed(registry, topics.results, message(wireValue({ runId: 'r' })), { deadlineMs: 60 })).toEqual({ ok: true, value: { runId: 'r' } });
    expect(await decodeConsumed(registry, topics.results, message(wireValue({}, UNKNOWN_SCHEMA_ID)), { deadlineMs: 60 })).toMatchObject({ ok: false, reason: expect.stringContaining('No schema') });
    expect(await decodeConsumed(registry, topics.results, message(null), { deadlineMs: 60 })).toMatchObject({ ok: false });
  });

  it('gives up waiting as soon as its consumer stops, still throwing the record back', async () => {
    const { registry, state } = fakeRegistry();
    state.down = true;
    await expect(decodeConsumed(registry, topics.results, message(wireValue({})), { deadlineMs: 600_000, stopped: () => true })).rejects.toMatchObject({ name: 'TransientDecodeError' });
  });
});
