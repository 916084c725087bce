import type { KafkaMessage } from 'kafkajs';
import { createBatchLoop, type RecordHandler } from './batch-loop';

const msg = (offset: number) => ({ offset: String(offset), key: null, value: null, timestamp: '0', attributes: 0, headers: {} }) as unknown as KafkaMessage;

function payload(topic: string, offsets: number[], o: { running?: () => boolean; stale?: () => boolean } = {}) {
  const resolved: string[] = [];
  let heartbeats = 0;
  let staleChecks = 0;
  return {
    resolved,
    heartbeats: () => heartbeats,
    staleChecks: () => staleChecks,
    p: {
      batch: { topic, partition: 3, messages: offsets.map(msg) } as never,
      resolveOffset: (offset: string) => void resolved.push(offset),
      heartbeat: async () => void heartbeats++,
      isRunning: o.running ?? (() => true),
      isStale: () => (staleChecks++, o.stale ? o.stale() : false),
    },
  };
}

describe('executor batch loop', () => {
  it('applies the edits of a batch in order, resolving the last offset and heartbeating once', async () => {
    const seen: string[] = [];
    const loop = createBatchLoop({ perBatch: new Set(['edits']), paused: () => false, handle: (_t, _p, m) => void seen.push(m.offset) });
    const b = payload('edits', [10, 11, 12]);
    await loop(b.p);
    expect(seen).toEqual(['10', '11', '12']);
    expect(b.resolved).toEqual(['12']);
    expect(b.heartbeats()).toBe(1);
    expect(b.staleChecks()).toBe(1);
  });

  it('looks for a seek or a stop again after an edit that had to wait, and stops there', async () => {
    const seen: string[] = [];
    let stale = false;
    const handle: RecordHandler = (_t, _p, m) => {
      seen.push(m.offset);
      if (m.offset === '11') return Promise.resolve().then(() => void (stale = true));
    };
    const loop = createBatchLoop({ perBatch: new Set(['edits']), paused: () => false, handle });
    const b = payload('edits', [10, 11, 12], { stale: () => stale });
    await loop(b.p);
    expect(seen).toEqual(['10', '11']);
    expect(b.resolved).toEqual(['11']);
  });

  it('counts the edits handled before one that threw, and not that one', async () => {
    const loop = createBatchLoop({ perBatch: new Set(['edits']), paused: () => false, handle: (_t, _p, m) => { if (m.offset === '12') throw new Error('broken buffer'); } });
    const b = payload('edits', [10, 11, 12, 13]);
    await expect(loop(b.p)).rejects.toThrow('broken buffer');
    expect(b.resolved).toEqual(['11']);
  });

  it('handles nothing of a batch that arrives after the consumer stopped', async () => {
    const seen: string[] = [];
    const loop = createBatchLoop({ perBatch: new Set(['edits']), paused: () => false, handle: (_t, _p, m) => void seen.push(m.offset) });
    const b = payload('edits', [10, 11], { running: () => false });
    await loop(b.p);
    expect(seen).toEqual([]);
    expect(b.resolved).toEqual([]);
  });

  it('resolves and heartbeats after every run request, and stops at a pause', async () => {
    const seen: string[] = [];
    let paused = false;
    const loop = createBatchLoop({
      perBatch: new Set(['edits']),
      paused: (topic, partition) => paused && topic === 'requests' && partition === 3,
      handle: async (_t, _p, m) => {
        seen.push(m.offset);
        if (m.offset === '6') paused = true;
      },
    });
    const b = payload('requests', [5, 6, 7]);
    await loop(b.p);
    expect(seen).toEqual(['5', '6']);
    expect(b.resolved).toEqual(['5', '6']);
    expect(b.heartbeats()).toBe(2);
  });
});
