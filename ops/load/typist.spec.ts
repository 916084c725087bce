import { ackVersion, editMessage } from './typist';

describe('the edits bench typist', () => {
  it('writes the bytes an EditorSession writes for the same edit', () => {
    for (const insert of ['ab', '\n', 'say "hi"\t\\']) {
      expect(editMessage(41, 1234, insert)).toBe(JSON.stringify({ type: 'edit', baseVersion: 41, ops: [{ offset: 1234, deleteCount: 0, insert }] }));
    }
  });

  it('reads the version of an ack as the gateway writes it', () => {
    for (const version of [0, 7, 123456789]) expect(ackVersion(Buffer.from(JSON.stringify({ type: 'ack', version })))).toBe(version);
  });

  it('takes nothing else for an ack: errors, resyncs, a cut message, other fields', () => {
    for (const m of [
      { type: 'error', code: 'rate_limited', message: 'try again in 1 s' },
      { type: 'resync', version: 3, files: [], reason: 'behind' },
      { type: 'ack', version: 3, extra: true },
      { type: 'ack', version: -3 },
      { type: 'ack', version: 1.5 },
    ]) expect(ackVersion(Buffer.from(JSON.stringify(m)))).toBeUndefined();
    expect(ackVersion(Buffer.from('{"type":"ack","version":'))).toBeUndefined();
    expect(ackVersion(Buffer.from('{"type":"ack","version":}'))).toBeUndefined();
    expect(ackVersion(Buffer.from('{"type":"ack","version":12'))).toBeUndefined();
  });
});
