import { checkWebhookTarget, isPrivateAddress } from './webhook-target';

describe('webhook targets', () => {
  it('classifies loopback, private, link-local and unspecified addresses', () => {
    for (const ip of ['127.0.0.1', '10.1.2.3', '172.20.0.1', '192.168.1.1', '169.254.169.254', '0.0.0.0', '100.64.0.1', '::1', '::', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1']) {
      expect(isPrivateAddress(ip)).toBe(true);
    }
    for (const ip of ['93.184.216.34', '172.32.0.1', '8.8.4.4', '2001:db8::1']) expect(isPrivateAddress(ip)).toBe(false);
  });

  it('refuses a webhook to this machine unless private targets are allowed', async () => {
    await expect(checkWebhookTarget('http://127.0.0.1:9/hook', false)).rejects.toMatchObject({ code: 'webhook_not_allowed', status: 400 });
    await expect(checkWebhookTarget('http://localhost:9/hook', false)).rejects.toMatchObject({ code: 'webhook_not_allowed' });
    await expect(checkWebhookTarget('http://[::1]:9/hook', false)).rejects.toMatchObject({ code: 'webhook_not_allowed' });
    await expect(checkWebhookTarget('http://127.0.0.1:9/hook', true)).resolves.toBeUndefined();
  });
});
