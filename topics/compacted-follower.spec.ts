import { topics } from './catalog';
import { followCompacted } from './compacted-follower';
import { CONSUMER_RETRY } from './consumer-retry';
import { fakeKafka, fakeRegistry, UNKNOWN_SCHEMA_ID, wireValue } from './test-fakes';
import type { RuntimeCurrent } from './types';

async function follower() {
  const k = fakeKafka();
  const r = fakeRegistry();
  const records: string[] = [];
  const undecodable: string[] = [];
  const f = followCompacted({
    kafka: k.kafka, registry: r.registry, spec: topics.runtimesCurrent, groupPrefix: 'spec', decodeDeadlineMs: 50,
    onRecord: (v: RuntimeCurrent) => void records.push(v.version),
    onUndecodable: (m) => void undecodable.push(m.offset),
  });
  await f.start();
  return { ...k, ...r, f, records, undecodable };
}

describe('following a compacted topic', () => {
  it('throws back a record the registry cannot decode for now, and hands it on when it is read again', async () => {
    const t = await follower();
    expect(t.configs[0]!.retry).toBe(CONSUMER_RETRY);
    t.state.down = true;
    const record = wireValue({ language: 'python', version: 'python-3.12' });
    await expect(t.deliver(topics.runtimesCurrent.name, 0, 4, record)).rejects.toMatchObject({ name: 'TransientDecodeError' });
    expect(t.records).toEqual([]);
    expect(t.undecodable).toEqual([]);
    t.state.down = false;
    await t.deliver(topics.runtimesCurrent.name, 0, 4, record);
    expect(t.records).toEqual(['python-3.12']);
    await t.f.stop();
  });

  it('passes over a record that can never be decoded, telling onUndecodable', async () => {
    const t = await follower();
    await t.deliver(topics.runtimesCurrent.name, 0, 9, wireValue({}, UNKNOWN_SCHEMA_ID));
    expect(t.undecodable).toEqual(['9']);
    expect(t.records).toEqual([]);
    await t.f.stop();
  });
});
