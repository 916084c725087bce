import type { Request, Response } from 'express';
import { framePolicy } from './frame-policy';

const headersFor = (path: string) => {
  const headers: Record<string, string> = {};
  let nexted = false;
  framePolicy()({ path } as Request, { setHeader: (k: string, v: string) => (headers[k.toLowerCase()] = v) } as unknown as Response, () => (nexted = true));
  expect(nexted).toBe(true);
  return headers;
};

describe('frame policy', () => {
  it('lets any site frame an embed and nothing else', () => {
    expect(headersFor('/e/AbC_12-xyz90')).toEqual({ 'content-security-policy': 'frame-ancestors *' });
    for (const path of ['/', '/z/AbC_12-xyz90', '/s/s-1', '/dashboard', '/api/v1/runtimes', '/e/', '/e/a/b', '/editor/app.js']) {
      expect(headersFor(path)).toEqual({ 'content-security-policy': "frame-ancestors 'none'", 'x-frame-options': 'DENY' });
    }
  });
});
