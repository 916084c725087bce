import type { TypedProducer } from './codec';
import type { Registry } from './registry';
import { topics } from './catalog';
import { createBatchingSender } from './batching-sender';

/** A fake producer whose requests complete when the test says so. */
function fakeProducer() {
  const requests: { topic: string; count: number }[][] = [];
  const release: (() => void)[] = [];
  const producer = {
    raw: {
      sendBatch: ({ topicMessages }: { topicMessages: { topic: string; messages: unknown[] }[] }) => {
        requests.push(topicMessages.map((t) => ({ topic: t.topic, count: t.messages.length })));
        return new Promise<void>((r) => release.push(r));
      },
    },
  } as unknown as TypedProducer;
  const registry = { encode: async (_s: unknown, v: unknown) => Buffer.from(JSON.stringify(v)) } as unknown as Registry;
  return { producer, registry, requests, release };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('batching sender', () => {
  it('sends a lone record at once and gathers what arrives meanwhile into the next request', async () => {
    const { producer, registry, requests, release } = fakeProducer();
    const sender = createBatchingSender(producer, registry);
    const first = sender.send([{ spec: topics.dlq, records: [{ key: 'a', value: {} }] }]);
    await tick();
    await tick();
    expect(requests).toEqual([[{ topic: topics.dlq.name, count: 1 }]]);
    const more = [1, 2, 3].map((i) => sender.send([{ spec: topics.dlq, records: [{ key: `k${i}`, value: {} }] }, { spec: topics.output, records: [{ key: `k${i}`, value: {} }] }]));
    await tick();
    await tick();
    expect(requests).toHaveLength(1);
    release[0]!();
    await first;
    await tick();
    await tick();
    expect(requests[1]).toEqual([{ topic: topics.dlq.name, count: 3 }, { topic: topics.output.name, count: 3 }]);
    release[1]!();
    await Promise.all(more);
  });

  it('rejects every caller of a failed request', async () => {
    const { producer, registry } = fakeProducer();
    (producer.raw as unknown as { sendBatch: () => Promise<void> }).sendBatch = () => Promise.reject(new Error('broker down'));
    const sender = createBatchingSender(producer, registry);
    await expect(sender.send([{ spec: topics.dlq, records: [{ key: 'a', value: {} }] }])).rejects.toThrow('broker down');
  });

  it('keeps every request within each topic’s batch budget: a flood of large chunks goes out in several requests', async () => {
    const { producer, registry, requests, release } = fakeProducer();
    const sender = createBatchingSender(producer, registry);
    const chunk = 'x'.repeat(700 * 1024);
    const sends = Array.from({ length: 30 }, (_, i) => sender.send([{ spec: topics.output, records: [{ key: 'run', value: { i, chunk } }] }]));
    for (let i = 0; i < 40 && requests.length < 30; i++) {
      await tick();
      while (release.length) release.shift()!();
      await tick();
    }
    await Promise.all(sends);
    expect(requests.flat().reduce((n, r) => n + r.count, 0)).toBe(30);
    const perRequest = Math.floor(topics.output.maxRecordBytes / (700 * 1024 + 100));
    for (const r of requests) expect(r[0]!.count).toBeLessThanOrEqual(perRequest);
    expect(requests.length).toBeGreaterThan(1);
  });

  it('refuses a record larger than its topic at once, without sending it', async () => {
    const { producer, registry, requests } = fakeProducer();
    const sender = createBatchingSender(producer, registry);
    const huge = 'x'.repeat(topics.output.maxRecordBytes);
    await expect(sender.send([{ spec: topics.output, records: [{ key: 'a', value: { huge } }] }])).rejects.toMatchObject({ code: 'record_too_large' });
    expect(requests).toHaveLength(0);
  });
});
