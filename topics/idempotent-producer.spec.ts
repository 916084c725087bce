import type { Producer, ProducerBatch } from 'kafkajs';
import { guardIdempotence } from './idempotent-producer';

/** A kafkajs producer stand-in: records what it is asked, fails the sends it is told to, settles when released. */
function fakeProducer(id: number, log: string[]) {
  const fails = new Set<string>();
  const gates = new Map<string, () => void>();
  const errors: string[] = [];
  const p = {
    id,
    fails,
    errors,
    /** A send of this topic waits until release(topic) is called. */
    hold: (topic: string) => gates.set(topic, () => undefined),
    release: (topic: string) => gates.get(topic)?.(),
    connect: async () => void log.push(`${id}:connect`),
    disconnect: async () => void log.push(`${id}:disconnect`),
    sendBatch: async (b: ProducerBatch) => {
      const topic = b.topicMessages![0]!.topic;
      log.push(`${id}:start ${topic}`);
      if (gates.has(topic)) await new Promise<void>((resolve) => gates.set(topic, resolve));
      log.push(`${id}:end ${topic}`);
      if (fails.has(topic)) throw new Error(`Closed connection (${topic})`);
      return [];
    },
    send: async () => [],
    isIdempotent: () => true,
    events: {},
    on: () => () => undefined,
    transaction: async () => {
      throw new Error('not transactional');
    },
    logger: () => ({ error: (m: string) => errors.push(m), warn: () => undefined, info: () => undefined, debug: () => undefined, namespace: () => undefined, setLogLevel: () => undefined }),
  };
  return p;
}
type Fake = ReturnType<typeof fakeProducer>;

function guarded() {
  const log: string[] = [];
  const made: Fake[] = [];
  const producer = guardIdempotence(() => {
    const p = fakeProducer(made.length + 1, log);
    made.push(p);
    return p as unknown as Producer;
  });
  return { producer, log, made };
}
const batch = (topic: string): ProducerBatch => ({ acks: -1, topicMessages: [{ topic, messages: [{ key: 'k', value: topic }] }] });
const tick = () => new Promise((r) => setImmediate(r));

describe('an idempotent producer whose send failed', () => {
  it('sends the next batch on a new producer (a new producer id), never under the failed batch\'s sequence', async () => {
    const { producer, log, made } = guarded();
    await producer.connect();
    made[0]!.fails.add('a');
    await expect(producer.sendBatch(batch('a'))).rejects.toThrow('Closed connection (a)');
    await producer.sendBatch(batch('b'));
    expect(made).toHaveLength(2);
    expect(log).toEqual(['1:connect', '1:start a', '1:end a', '1:disconnect', '2:connect', '2:start b', '2:end b']);
    expect(made[0]!.errors[0]).toMatch(/new producer id.*Closed connection \(a\)/);
  });

  it('keeps its producer while sends succeed', async () => {
    const { producer, made } = guarded();
    await producer.connect();
    for (const t of ['a', 'b', 'c']) await producer.sendBatch(batch(t));
    expect(made).toHaveLength(1);
  });

  it('lets no send start while another is on the wire, so a failed one\'s sequence is never handed out to the next', async () => {
    const { producer, log, made } = guarded();
    await producer.connect();
    made[0]!.hold('a');
    made[0]!.fails.add('a');
    const a = producer.sendBatch(batch('a'));
    const b = producer.sendBatch(batch('b'));
    await tick();
    await tick();
    expect(log).toEqual(['1:connect', '1:start a']);
    made[0]!.release('a');
    await expect(a).rejects.toThrow();
    await b;
    // b waited for a, and then went out on the new producer.
    expect(log.filter((l) => l.includes('start'))).toEqual(['1:start a', '2:start b']);
  });

  it('replaces a producer whose connect failed, and tries again at the next send', async () => {
    const { producer, made, log } = guarded();
    await producer.connect();
    made[0]!.fails.add('a');
    await expect(producer.sendBatch(batch('a'))).rejects.toThrow();
    // The replacement cannot connect (the brokers are down): that send fails, the one after connects a third.
    made[1]!.connect = async () => {
      throw new Error('Connection error: ECONNREFUSED');
    };
    await expect(producer.sendBatch(batch('b'))).rejects.toThrow('ECONNREFUSED');
    await producer.sendBatch(batch('c'));
    expect(made).toHaveLength(3);
    expect(log.slice(-3)).toEqual(['3:connect', '3:start c', '3:end c']);
  });

  it('does not connect again after disconnect', async () => {
    const { producer, made, log } = guarded();
    await producer.connect();
    await producer.disconnect();
    await producer.sendBatch(batch('a'));
    expect(made).toHaveLength(1);
    expect(log.filter((l) => l.endsWith('connect'))).toEqual(['1:connect', '1:disconnect']);
  });

  it('carries event listeners over to the new producer, and removes them from it', async () => {
    const log: string[] = [];
    const made: Fake[] = [];
    const ons: string[] = [];
    const producer = guardIdempotence(() => {
      const p = fakeProducer(made.length + 1, log);
      const id = p.id;
      p.on = (() => {
        ons.push(`${id}:on`);
        return () => void ons.push(`${id}:off`);
      }) as typeof p.on;
      made.push(p);
      return p as unknown as Producer;
    });
    await producer.connect();
    const off = producer.on('producer.connect', () => undefined);
    made[0]!.fails.add('a');
    await expect(producer.sendBatch(batch('a'))).rejects.toThrow();
    off();
    off();
    expect(ons).toEqual(['1:on', '2:on', '2:off']);
  });
});
