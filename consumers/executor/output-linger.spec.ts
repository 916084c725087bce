import { createOutputLinger } from './output-linger';

type Rec = { runId: string; data: string };

function setup(lingerMs = 20, maxHeldBytes = 1000) {
  const sent: Rec[][] = [];
  let fail = false;
  const linger = createOutputLinger<Rec>({
    send: async (records) => {
      sent.push(records);
      if (fail) throw new Error('broker refused');
    },
    lingerMs, maxHeldBytes, bytes: (r) => r.data.length,
  });
  return { sent, linger, failNext: () => (fail = true) };
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('output linger', () => {
  it("sends a run's chunks of one linger together when it ends, and the other run's separately", async () => {
    const { sent, linger } = setup();
    const acks = [linger.add('a', { runId: 'a', data: 'x' }), linger.add('b', { runId: 'b', data: 'y' }), linger.add('a', { runId: 'a', data: 'z' })];
    expect(sent).toEqual([]);
    linger.flush('a');
    expect(sent).toEqual([[{ runId: 'a', data: 'x' }, { runId: 'a', data: 'z' }]]);
    await Promise.all([acks[0], acks[2]]);
    await wait(40);
    expect(sent[1]).toEqual([{ runId: 'b', data: 'y' }]);
    await acks[1];
    expect(linger.held()).toBe(0);
  });

  it('sends after the linger without a flush, at once when the held bytes reach the bound, and each chunk alone with linger 0', async () => {
    const { sent, linger } = setup(10, 5);
    void linger.add('a', { runId: 'a', data: 'ab' });
    await wait(30);
    expect(sent).toEqual([[{ runId: 'a', data: 'ab' }]]);
    void linger.add('a', { runId: 'a', data: 'abc' });
    void linger.add('a', { runId: 'a', data: 'de' });
    expect(sent[1]).toEqual([{ runId: 'a', data: 'abc' }, { runId: 'a', data: 'de' }]);
    const none = setup(0);
    void none.linger.add('a', { runId: 'a', data: '1' });
    void none.linger.add('a', { runId: 'a', data: '2' });
    expect(none.sent).toEqual([[{ runId: 'a', data: '1' }], [{ runId: 'a', data: '2' }]]);
  });

  it("holds a run for the linger its first chunk names, and sends at once a chunk that names 0 with nothing held", async () => {
    const { sent, linger } = setup(10);
    void linger.add('long', { runId: 'long', data: 'a' }, 80);
    void linger.add('long', { runId: 'long', data: 'b' }, 10);
    void linger.add('short', { runId: 'short', data: 'c' });
    await wait(40);
    expect(sent).toEqual([[{ runId: 'short', data: 'c' }]]);
    void linger.add('now', { runId: 'now', data: 'd' }, 0);
    expect(sent[1]).toEqual([{ runId: 'now', data: 'd' }]);
    await wait(80);
    expect(sent[2]).toEqual([{ runId: 'long', data: 'a' }, { runId: 'long', data: 'b' }]);
  });

  it('rejects every held chunk of a send that failed, and flushAll sends what every run holds', async () => {
    const { sent, linger, failNext } = setup();
    failNext();
    const a = linger.add('a', { runId: 'a', data: 'x' });
    const b = linger.add('a', { runId: 'a', data: 'y' });
    linger.flush('a');
    await expect(a).rejects.toThrow('broker refused');
    await expect(b).rejects.toThrow('broker refused');
    const ok = setup();
    void ok.linger.add('a', { runId: 'a', data: '1' });
    void ok.linger.add('b', { runId: 'b', data: '2' });
    ok.linger.flushAll();
    expect(ok.sent).toHaveLength(2);
    expect(sent).toHaveLength(1);
  });

  it("hands a run's held chunks to its result's first send only, and settles them with that send", async () => {
    const { sent, linger } = setup();
    const calls: { chunks: Rec[]; result: string }[] = [];
    let refuse: Error | null = new Error('leader not available');
    const send = linger.carrying('a', async (chunks, result: string) => {
      calls.push({ chunks, result });
      if (refuse) throw refuse;
    });
    const acks = [linger.add('a', { runId: 'a', data: 'x' }), linger.add('a', { runId: 'a', data: 'y' })];
    void linger.add('b', { runId: 'b', data: 'z' });
    await expect(send('r1')).rejects.toThrow('leader not available');
    await expect(acks[0]).rejects.toThrow('leader not available');
    await expect(acks[1]).rejects.toThrow('leader not available');
    refuse = null;
    await send('r2');
    expect(calls).toEqual([{ chunks: [{ runId: 'a', data: 'x' }, { runId: 'a', data: 'y' }], result: 'r1' }, { chunks: [], result: 'r2' }]);
    // Nothing of run a went through the linger's own send; run b's chunk still waits for its linger.
    expect(sent).toEqual([]);
    expect(linger.held()).toBe(1);

    const ok = setup();
    const ack = ok.linger.add('a', { runId: 'a', data: 'x' });
    const withResult: Rec[][] = [];
    await ok.linger.carrying('a', async (chunks, _r: string) => void withResult.push(chunks))('r');
    await ack;
    expect(withResult).toEqual([[{ runId: 'a', data: 'x' }]]);
  });

  it("sends the held chunks on their own when the result's send refuses a record too large before sending anything", async () => {
    const { sent, linger } = setup();
    const ack = linger.add('a', { runId: 'a', data: 'x' });
    const tooLarge = Object.assign(new Error('too large'), { code: 'record_too_large' });
    await expect(linger.carrying('a', async (_chunks, _r: string) => { throw tooLarge; })('r')).rejects.toThrow('too large');
    await ack;
    expect(sent).toEqual([[{ runId: 'a', data: 'x' }]]);
  });
});
