// Real: the emulator on loopback (as CSSM), a real SQLite temp file, the real services, undici's
// ProxyAgent, and a real CONNECT proxy on 127.0.0.1 (test/fakes/connect-proxy.ts) that tunnels
// bytes and counts the tunnels. Faked: nothing else; the proxy is a stand-in for a customer's
// HTTPS proxy towards CSSM.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConnectProxy, type ConnectProxy } from '../fakes/connect-proxy.ts';
import { setup, type Fixture } from './sync-fixture.ts';

let fx: Fixture;
let proxy: ConnectProxy;

beforeAll(async () => {
  fx = await setup();
  proxy = await startConnectProxy();
});
afterAll(async () => {
  await fx.close();
  await proxy.close();
});

describe('Proxy transport', () => {
  it('provisions and syncs an account entirely through the proxy (CONNECT, no proxy auth)', async () => {
    const c = fx.cloud();
    const r = await fx.services.provision.provisionSmartAccount({
      source: 'cssm',
      domain: c.account,
      clientId: c.clientId,
      clientSecret: c.clientSecret,
      proxy: proxy.url,
      requestedBy: 'test',
    });
    expect(r.account.transportMode).toBe('Proxy');
    expect(r.sync?.status).toBe('Completed');
    expect(r.sync?.counts.licenses).toBeGreaterThan(0);
    const emulatorHost = new URL(fx.emu.baseUrl).host;
    // Every CSSM connection was a tunnel to the emulator; nothing went around the proxy as a
    // plain request.
    expect(proxy.connects.length).toBeGreaterThan(0);
    expect(new Set(proxy.connects)).toEqual(new Set([emulatorHost]));
    expect(proxy.plainRequests).toBe(0);

    const before = proxy.connects.length;
    const again = await fx.services.sync.syncAccount(c.account, {
      requestedBy: 'test',
      full: true,
    });
    expect(again.status).toBe('Completed');
    // Keep-alive may reuse tunnels; what matters is that the sync still went through the proxy.
    expect(proxy.connects.length).toBeGreaterThanOrEqual(before);
  });

  it('refuses a proxy URL with credentials (no proxy authentication towards CSSM): CAA1040', async () => {
    const c = fx.cloud(1);
    await expect(
      fx.services.provision.provisionSmartAccount({
        source: 'cssm',
        domain: c.account,
        clientId: c.clientId,
        clientSecret: c.clientSecret,
        proxy: 'http://user:pw@127.0.0.1:3128',
        requestedBy: 'test',
      }),
    ).rejects.toMatchObject({ code: 'CAA1040' });
    expect(await fx.repos.smartAccounts.getByDomain(c.account)).toBeUndefined();
  });

  it('a proxy that refuses the tunnel fails provisioning with CAA1040 and stores nothing', async () => {
    const refusing = await startConnectProxy({ refuse: true });
    try {
      const c = fx.cloud(1);
      await expect(
        fx.services.provision.provisionSmartAccount({
          source: 'cssm',
          domain: c.account,
          clientId: c.clientId,
          clientSecret: c.clientSecret,
          proxy: refusing.url,
          requestedBy: 'test',
        }),
      ).rejects.toMatchObject({
        error: { code: 'CAA1040' },
        job: { status: 'Failed', errorCode: 'CAA1040' },
      });
      expect(refusing.connects.length).toBeGreaterThan(0);
      expect(await fx.repos.smartAccounts.getByDomain(c.account)).toBeUndefined();
    } finally {
      await refusing.close();
    }
  });
});
