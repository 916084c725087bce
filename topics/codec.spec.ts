import { allTopics, BROKER_MAX_MESSAGE_BYTES, topics } from './catalog';
import { batchBudget, checkRecordSize, decodeRetrying, decodeValue, RecordTooLargeError, splitForBatches } from './codec';
import { RegistryError, type Registry } from './registry';

/** A registry whose decode fails as told: the way the real one fails when it is down or the record is bad. */
function fakeRegistry(fail: () => Error | null): Registry {
  return {
    url: 'fake',
    // Never known ahead: every decode takes the registry's asynchronous path, where its failures come from.
    decodeNow: () => undefined,
    decode: async <T>() => {
      const e = fail();
      if (e) throw e;
      return { decoded: true } as T;
    },
  } as unknown as Registry;
}
const wire = Buffer.from([0, 0, 0, 0, 7, 1, 2, 3]);

describe('decoding consumed values', () => {
  it('calls a registry that cannot be reached transient, and an unknown schema or bad bytes permanent', async () => {
    const down = fakeRegistry(() => new RegistryError('registry_unavailable', 'connection refused'));
    expect(await decodeValue(down, wire)).toMatchObject({ ok: false, transient: true });
    const unknown = fakeRegistry(() => new RegistryError('schema_unknown', 'no schema 7'));
    expect(await decodeValue(unknown, wire)).toMatchObject({ ok: false, transient: false });
    const garbage = fakeRegistry(() => new Error('truncated buffer'));
    expect(await decodeValue(garbage, wire)).toMatchObject({ ok: false, transient: false });
    expect(await decodeValue(down, Buffer.from('plain'))).toMatchObject({ ok: false, transient: false });
    expect(await decodeValue(down, null)).toMatchObject({ ok: false, transient: false });
  });

  it('retries a transient failure until the registry is back', async () => {
    let calls = 0;
    const flaky = fakeRegistry(() => (++calls < 4 ? new RegistryError('registry_unavailable', 'down') : null));
    const retries: number[] = [];
    const d = await decodeRetrying(flaky, wire, undefined, { deadlineMs: 5000, initialMs: 1, onRetry: (_r, n) => retries.push(n) });
    expect(d).toEqual({ ok: true, value: { decoded: true } });
    expect(retries).toEqual([1, 2, 3]);
  });

  it('gives up at its deadline with the failure still marked transient, and never retries a permanent one', async () => {
    const down = fakeRegistry(() => new RegistryError('registry_unavailable', 'down'));
    const t0 = Date.now();
    expect(await decodeRetrying(down, wire, undefined, { deadlineMs: 120, initialMs: 10, maxMs: 20 })).toMatchObject({ ok: false, transient: true });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(100);
    let calls = 0;
    const bad = fakeRegistry(() => (calls++, new RegistryError('schema_unknown', 'gone')));
    expect(await decodeRetrying(bad, wire, undefined, { deadlineMs: 5000 })).toMatchObject({ ok: false, transient: false });
    expect(calls).toBe(1);
  });
});

describe('record sizes', () => {
  it('gives every topic a max.message.bytes the local broker accepts', () => {
    for (const t of allTopics()) {
      expect(Number(t.config['max.message.bytes'])).toBe(t.maxRecordBytes);
      expect(t.maxRecordBytes).toBeLessThanOrEqual(BROKER_MAX_MESSAGE_BYTES);
    }
    // A dead letter carries any other topic's record.
    for (const t of allTopics()) if (t !== topics.dlq) expect(topics.dlq.maxRecordBytes).toBeGreaterThan(t.maxRecordBytes + 64 * 1024);
  });

  it('refuses a record larger than its topic before it reaches the broker', () => {
    const big = { key: 'k', value: Buffer.alloc(topics.results.maxRecordBytes) };
    expect(() => checkRecordSize(topics.results, big)).toThrow(RecordTooLargeError);
    expect(checkRecordSize(topics.results, { key: 'k', value: Buffer.alloc(1000) })).toBeGreaterThan(1000);
  });

  it('splits many records into batches that each fit the topic, keeping their order', () => {
    const spec = { name: 't', maxRecordBytes: 10_000 };
    const msgs = Array.from({ length: 10 }, (_, i) => ({ key: String(i), value: Buffer.alloc(3000) }));
    const groups = splitForBatches(spec, msgs);
    expect(groups.flat().map((m) => m.key)).toEqual(msgs.map((m) => m.key));
    for (const g of groups) expect(g.reduce((n, m) => n + m.value.length + 100, 0)).toBeLessThanOrEqual(batchBudget(spec) + 1000);
    expect(groups.length).toBeGreaterThanOrEqual(4);
  });
});
