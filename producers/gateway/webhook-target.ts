import { lookup } from 'node:dns/promises';
import net from 'node:net';
import { ApiError } from './errors';

/**
 * Webhooks are requests the service makes on a user's behalf: by default they
 * may not reach loopback, private, link-local or unspecified addresses (the
 * machine's own services, cloud metadata). WEBHOOK_ALLOW_PRIVATE lifts that
 * for development and tests.
 */
export function isPrivateAddress(ip: string): boolean {
  if (net.isIPv4(ip)) {
    const [a, b] = ip.split('.').map(Number) as [number, number];
    return a === 0 || a === 10 || a === 127 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127);
  }
  const v6 = ip.toLowerCase();
  if (v6.startsWith('::ffff:')) return isPrivateAddress(v6.slice(7));
  return v6 === '::' || v6 === '::1' || v6.startsWith('fc') || v6.startsWith('fd') || v6.startsWith('fe80');
}

export async function checkWebhookTarget(url: string, allowPrivate: boolean): Promise<void> {
  if (allowPrivate) return;
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  try {
    addresses = net.isIP(host) ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
  } catch {
    throw new ApiError(400, 'webhook_unresolvable', `The webhook host "${host}" cannot be resolved.`);
  }
  if (addresses.some(isPrivateAddress)) {
    throw new ApiError(400, 'webhook_not_allowed', `The webhook host "${host}" is a loopback or private address; webhooks must reach a public address.`);
  }
}
