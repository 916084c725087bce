import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The token of a collaboration link (`/s/<sessionId>#t=<token>`): an HMAC of the
 * session id under the gateways' shared key, so every gateway (and a restarted
 * one) can check it without storing anything, and it cannot be made from the id.
 */
export function collabToken(key: string, sessionId: string): string {
  return createHmac('sha256', key).update(`collab:${sessionId}`).digest('base64url').slice(0, 32);
}

export function isCollabToken(key: string, sessionId: string, token: string): boolean {
  const want = Buffer.from(collabToken(key, sessionId));
  const got = Buffer.from(token);
  return got.length === want.length && timingSafeEqual(got, want);
}
