import { topics } from '../../topics/catalog';
import type { TypedProducer } from '../../topics/codec';
import { CONSUMER_RETRY } from '../../topics/consumer-retry';
import { fakeKafka, fakeRegistry, wireValue } from '../../topics/test-fakes';
import { createLinkStore, hashToken, linkIdOf, tokenMatches, type LinkState } from './share-links';

const state: LinkState = {
  language: 'python', languageVersion: '3.11.2', dependencySet: 'python-3.11-std', hardwareClass: 'x86_64',
  files: [{ name: 'main.py', content: 'print(1)\n' }], stdin: '', args: [], compilerFlags: [],
};

describe('share link ids and tokens', () => {
  it('derives the same id from the same state, and another from any change', () => {
    expect(linkIdOf(state)).toBe(linkIdOf({ ...state, files: [{ ...state.files[0]! }] }));
    expect(linkIdOf(state)).toMatch(/^[A-Za-z0-9_-]{12}$/);
    const changed = [
      { ...state, languageVersion: '3.12.0' }, { ...state, stdin: 'x' }, { ...state, args: ['a'] }, { ...state, compilerFlags: ['-O2'] },
      { ...state, files: [{ name: 'main.py', content: 'print(2)\n' }] }, { ...state, files: [{ name: 'other.py', content: 'print(1)\n' }] },
    ];
    const ids = new Set([linkIdOf(state), ...changed.map(linkIdOf)]);
    expect(ids.size).toBe(changed.length + 1);
  });

  it('accepts any stored creator token and nothing else', () => {
    const hashes = [hashToken('first'), hashToken('second')];
    expect(tokenMatches('first', hashes)).toBe(true);
    expect(tokenMatches('second', hashes)).toBe(true);
    expect(tokenMatches('third', hashes)).toBe(false);
    expect(tokenMatches('', [])).toBe(false);
  });
});

describe('the link index while the schema registry is away', () => {
  it('throws back a link it cannot decode for now, and indexes it when the record is read again', async () => {
    const k = fakeKafka();
    const r = fakeRegistry();
    const store = createLinkStore({ kafka: k.kafka, registry: r.registry, producer: () => ({}) as TypedProducer, gatewayId: 'gw-1', decodeDeadlineMs: 50 });
    await store.start();
    expect(k.configs[0]!.retry).toBe(CONSUMER_RETRY);
    const link = { ...state, linkId: linkIdOf(state), createdAtMs: 1, deleteTokenHashes: [] };
    const record = wireValue(link);
    r.state.down = true;
    await expect(k.deliver(topics.links.name, 0, 3, record, { key: Buffer.from(link.linkId) })).rejects.toMatchObject({ name: 'TransientDecodeError' });
    expect(store.get(link.linkId)).toBeUndefined();
    r.state.down = false;
    await k.deliver(topics.links.name, 0, 3, record, { key: Buffer.from(link.linkId) });
    expect(store.get(link.linkId)).toEqual(link);
    await store.stop();
  });
});
