import fs from 'node:fs';
import path from 'node:path';
import { clientMessage, protocolJsonSchema, serverMessage } from './protocol';

describe('editor protocol schemas', () => {
  it('are published in docs/ exactly as the code defines them', () => {
    const published = JSON.parse(fs.readFileSync(path.join(__dirname, '../../docs/editor-protocol.schema.json'), 'utf8'));
    expect(published).toEqual(JSON.parse(JSON.stringify(protocolJsonSchema())));
  });

  it('accept the messages of a session and refuse malformed ones', () => {
    expect(clientMessage.safeParse({ type: 'edit', baseVersion: 3, ops: [{ offset: 1, insert: 'x' }] }).success).toBe(true);
    expect(clientMessage.safeParse({ type: 'edit', baseVersion: -1, ops: [{ offset: 1 }] }).success).toBe(false);
    expect(clientMessage.safeParse({ type: 'run', runId: 'bad id!' }).success).toBe(false);
    expect(serverMessage.safeParse({ type: 'ack', version: 4 }).success).toBe(true);
    expect(serverMessage.safeParse({ type: 'output', runId: 'r', stage: 'link', stream: 'stdout', data: '', seq: 0 }).success).toBe(false);
  });
});
