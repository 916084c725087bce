import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { checkOperator, operatorToken, operatorTokenSection, requireOperatorToken } from './operator-token';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'operator-token-'));

function call(headers: Record<string, string>, token = 'a-token-of-sixteen-chars') {
  const res = { statusCode: 200, headers: {} as Record<string, string>, body: '', setHeader(k: string, v: string) { this.headers[k.toLowerCase()] = v; }, end(b: string) { this.body = b; } };
  let passed = false;
  requireOperatorToken({ reveal: () => token })({ headers } as unknown as IncomingMessage, res as unknown as ServerResponse, () => (passed = true));
  return { passed, status: res.statusCode, body: res.body ? JSON.parse(res.body) : null, headers: res.headers };
}

describe('operator token', () => {
  it('refuses a request without a token with 401 operator_token_required', () => {
    const r = call({});
    expect(r).toMatchObject({ passed: false, status: 401, body: { error: { code: 'operator_token_required' } } });
    expect(r.headers['www-authenticate']).toMatch(/^Bearer/);
  });

  it('refuses a wrong token with 403 operator_token_invalid', () => {
    expect(call({ authorization: 'Bearer not-the-token-at-all' })).toMatchObject({ passed: false, status: 403, body: { error: { code: 'operator_token_invalid' } } });
    expect(call({ 'x-operator-token': 'a-token-of-sixteen-char' })).toMatchObject({ passed: false, status: 403 });
  });

  it('lets the right token through as a bearer token or an X-Operator-Token header', () => {
    expect(call({ authorization: 'Bearer a-token-of-sixteen-chars' }).passed).toBe(true);
    expect(call({ authorization: 'bearer   a-token-of-sixteen-chars ' }).passed).toBe(true);
    expect(call({ 'x-operator-token': 'a-token-of-sixteen-chars' }).passed).toBe(true);
    expect(checkOperator({ headers: { authorization: 'Basic a-token-of-sixteen-chars' } }, { reveal: () => 'a-token-of-sixteen-chars' })?.status).toBe(401);
  });

  it('generates one token per state directory, readable only by its owner, and every later caller reads the same', () => {
    const dir = tmp();
    const first = operatorToken({ stateDir: dir });
    const second = operatorToken({ stateDir: dir });
    expect(first.source).toBe('generated');
    expect(second.source).toBe('file');
    expect(second.reveal()).toBe(first.reveal());
    expect(first.reveal().length).toBeGreaterThanOrEqual(32);
    expect(fs.statSync(first.file!).mode & 0o077).toBe(0);
    expect(JSON.stringify(first)).not.toContain(first.reveal());
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('uses the configured token and writes no file; refuses a configured token shorter than 16 characters', () => {
    const dir = tmp();
    const t = operatorToken({ configured: 'configured-token-123', stateDir: dir });
    expect(t).toMatchObject({ source: 'environment', file: null });
    expect(t.reveal()).toBe('configured-token-123');
    expect(fs.readdirSync(dir)).toEqual([]);
    expect(operatorTokenSection.safeParse({ CONVEYOR_OPERATOR_TOKEN: 'short' }).success).toBe(false);
    const read = operatorTokenSection.parse({ CONVEYOR_OPERATOR_TOKEN: 'configured-token-123' });
    expect(JSON.stringify(read)).not.toContain('configured-token-123');
    expect(operatorToken({ configured: read.CONVEYOR_OPERATOR_TOKEN, stateDir: dir }).reveal()).toBe('configured-token-123');
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
