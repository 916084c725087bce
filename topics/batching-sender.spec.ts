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
  // Like the registry: a topic's encoder is looked up once (async), then handed out synchronously.
  const encode = (v: unknown) => Buffer.from(JSON.stringify(v));
  const ready = new Set<string>();
  const registry = {
    encoder: async (s: { name: string }) => (ready.add(s.name), encode),
    encoderNow: (s: { name: string }) => (ready.has(s.name) ? encode : undefined),
  } as unknown as Registry;
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

  it('sends the bytes a record carries already encoded, and encodes the others', async () => {
    const { producer, registry } = fakeProducer();
    const values: string[] = [];
    (producer.raw as unknown as { sendBatch: (b: { topicMessages: { messages: { value: Buffer }[] }[] }) => Promise<void> }).sendBatch = async ({ topicMessages }) => {
      for (const t of topicMessages) for (const m of t.messages) values.push(m.value.toString());
    };
    const sender = createBatchingSender(producer, registry);
    await sender.send([{ spec: topics.results, records: [{ key: 'a', value: { run: 'a' }, encoded: Buffer.from('as published') }, { key: 'b', value: { run: 'b' } }] }]);
    expect(values).toEqual(['as published', JSON.stringify({ run: 'b' })]);
  });

  it('refuses a record larger than its topic at once, without sending it', async () => {
    const { producer, registry, requests } = fakeProducer();
    const sender = createBatchingSender(producer, registry);
    const huge = 'x'.repeat(topics.output.maxRecordBytes);
    await expect(sender.send([{ spec: topics.output, records: [{ key: 'a', value: { huge } }] }])).rejects.toMatchObject({ code: 'record_too_large' });
    expect(requests).toHaveLength(0);
  });
});

/** Waits (up to 10 s) until `n` requests were sent: what the sender does next, not how fast. */
async function sent(requests: unknown[], n: number) {
  const deadline = Date.now() + 10_000;
  while (requests.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
}

describe('batching sender: lingering topics', () => {
  // A copy of editor.edits that lingers long enough for nothing but the test to end the wait.
  const slow = { ...topics.edits, produceLingerMs: 60_000 };
  const quick = { ...topics.edits, produceLingerMs: 20 };
  const edit = (spec: typeof topics.edits, key: string) => ({ spec, records: [{ key, value: { key } as never }] });
  /** Four sessions' edits in one acknowledged request: what the sender then waits for is their next four. */
  async function afterFour(spec: typeof topics.edits, opts: { maxBatch?: number } = {}) {
    const f = fakeProducer();
    const sender = createBatchingSender(f.producer, f.registry, opts);
    const first = ['a', 'b', 'c', 'd'].map((k) => sender.send([edit(spec, k)]));
    await sent(f.requests, 1);
    expect(f.requests[0]).toEqual([{ topic: spec.name, count: 4 }]);
    f.release[0]!();
    await Promise.all(first);
    return { ...f, sender };
  }

  it('sends a lingering record at once when the sender was idle', async () => {
    const { producer, registry, requests, release } = fakeProducer();
    const sender = createBatchingSender(producer, registry);
    const first = sender.send([edit(slow, 'a')]);
    await sent(requests, 1);
    expect(requests).toEqual([[{ topic: slow.name, count: 1 }]]);
    release[0]!();
    await first;
  });

  it('holds lingering records after an ack, and a record that may not wait takes them along at once', async () => {
    const { sender, requests, release } = await afterFour(slow);
    const held = [sender.send([edit(slow, 'a')]), sender.send([edit(slow, 'b')])];
    for (let i = 0; i < 5; i++) await tick();
    expect(requests).toHaveLength(1);
    const run = sender.send([{ spec: topics.dlq, records: [{ key: 'r', value: {} }] }]);
    await sent(requests, 2);
    expect(requests[1]).toEqual([{ topic: slow.name, count: 2 }, { topic: topics.dlq.name, count: 1 }]);
    release[1]!();
    await Promise.all([...held, run]);
  });

  it('stops holding once as many records are back as the acknowledged request carried', async () => {
    const { sender, requests, release } = await afterFour(slow);
    const back = ['a', 'b', 'c'].map((k) => sender.send([edit(slow, k)]));
    for (let i = 0; i < 5; i++) await tick();
    expect(requests).toHaveLength(1);
    back.push(sender.send([edit(slow, 'd')]));
    await sent(requests, 2);
    expect(requests[1]).toEqual([{ topic: slow.name, count: 4 }]);
    release[1]!();
    await Promise.all(back);
  });

  it('sends held records when their linger is over, all in one request', async () => {
    const { sender, requests, release } = await afterFour(quick);
    const held = ['a', 'b', 'c'].map((k) => sender.send([edit(quick, k)]));
    await sent(requests, 2);
    expect(requests[1]).toEqual([{ topic: quick.name, count: 3 }]);
    release[1]!();
    await Promise.all(held);
  });

  it('does not hold a full queue', async () => {
    const { sender, requests, release } = await afterFour(slow, { maxBatch: 3 });
    const held = ['a', 'b', 'c'].map((k) => sender.send([edit(slow, k)]));
    await sent(requests, 2);
    expect(requests[1]).toEqual([{ topic: slow.name, count: 3 }]);
    release[1]!();
    await Promise.all(held);
  });
});

describe('batching sender: a second connection for what may not wait', () => {
  const edit = (key: string) => ({ spec: topics.edits, records: [{ key, value: { key } as never }] });
  const run = (key: string) => ({ spec: topics.dlq, records: [{ key, value: {} }] });
  /** Two fake connections behind one sender, every topic's encoder already known (so sends queue in call order). */
  async function twoConnections() {
    const main = fakeProducer();
    const side = fakeProducer();
    for (const spec of [topics.edits, topics.dlq, topics.output]) await main.registry.encoder(spec as never);
    const sender = createBatchingSender(main.producer, main.registry, { side: side.producer.raw.sendBatch });
    return { main, side, sender };
  }

  it('sends a record that may not wait beside the batch on the wire, and settles it on its own ack', async () => {
    const { main, side, sender } = await twoConnections();
    const edits = sender.send([edit('a')]);
    await sent(main.requests, 1);
    const request = sender.send([run('r')]);
    await sent(side.requests, 1);
    expect(side.requests).toEqual([[{ topic: topics.dlq.name, count: 1 }]]);
    expect(main.requests).toHaveLength(1);
    side.release[0]!();
    await request;
    expect(sender.pending()).toBe(1);
    main.release[0]!();
    await edits;
    expect(sender.pending()).toBe(0);
  });

  it('keeps a topic in order: a record whose topic is on the wire waits for the main ack', async () => {
    const { main, side, sender } = await twoConnections();
    const first = sender.send([run('r1')]);
    await sent(main.requests, 1);
    const second = sender.send([run('r2')]);
    for (let i = 0; i < 5; i++) await tick();
    expect(side.requests).toHaveLength(0);
    main.release[0]!();
    await first;
    await sent(main.requests, 2);
    expect(main.requests[1]).toEqual([{ topic: topics.dlq.name, count: 1 }]);
    main.release[1]!();
    await second;
  });

  it('leaves behind a caller whose topic is queued ahead, and the main request stops at a topic the side has on the wire', async () => {
    const { main, side, sender } = await twoConnections();
    const busy = sender.send([{ spec: topics.output, records: [{ key: 'o', value: {} }] }]);
    await sent(main.requests, 1);
    // Lingering edits first, then a run request with an edit: the request may not overtake the queued edit topic.
    const queuedEdit = sender.send([{ spec: { ...topics.edits, produceLingerMs: 60_000 }, records: [{ key: 'e', value: { key: 'e' } as never }] }]);
    const withEdit = sender.send([edit('x'), run('r')]);
    const alone = sender.send([run('s')]);
    for (let i = 0; i < 5; i++) await tick();
    expect(side.requests).toEqual([]);
    main.release[0]!();
    await busy;
    await sent(main.requests, 2);
    expect(main.requests[1]).toEqual([{ topic: topics.edits.name, count: 2 }, { topic: topics.dlq.name, count: 2 }]);
    main.release[1]!();
    await Promise.all([queuedEdit, withEdit, alone]);
    // Now a side request on the wire: the main request that follows leaves its topic alone.
    const onWire = sender.send([edit('b')]);
    await sent(main.requests, 3);
    const beside = sender.send([run('t')]);
    await sent(side.requests, 1);
    const behind = sender.send([run('u')]);
    main.release[2]!();
    await onWire;
    for (let i = 0; i < 5; i++) await tick();
    expect(main.requests).toHaveLength(3);
    side.release[0]!();
    await beside;
    await sent(main.requests, 4);
    expect(main.requests[3]).toEqual([{ topic: topics.dlq.name, count: 1 }]);
    main.release[3]!();
    await behind;
  });
});
