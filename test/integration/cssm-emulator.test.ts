// Real: core/cssm (http, oauth, cssm.client) over loopback against the real emulator
// (emulator/index.ts, demo scenario) playing CSSM cloud and On-Prem; the CONNECT proxy of
// test/fakes for Proxy mode. Faked: nothing but the backoff sleep.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../emulator/index.ts';
import { CssmClient } from '../../core/cssm/cssm.client.ts';
import { HttpClient, type Transport } from '../../core/cssm/http.ts';
import { OAuthTokenProvider } from '../../core/cssm/oauth.ts';
import { systemClock } from '../../core/clock.ts';
import { startConnectProxy, type ConnectProxy } from '../fakes/connect-proxy.ts';
import { rejection } from '../support/helpers.ts';

let emu: RunningEmulator;
let proxy: ConnectProxy;
const https: HttpClient[] = [];

beforeAll(async () => {
  emu = await startEmulator({ port: 0, scenario: 'demo' });
  proxy = await startConnectProxy();
});
afterAll(async () => {
  for (const h of https) await h.close();
  await proxy?.close();
  await emu?.close();
});

function build(
  flavor: 'cloud' | 'onprem',
  creds: { clientId: string; clientSecret: string },
  opts: { transport?: Transport; tokenUrl?: string; pageSize?: number } = {},
) {
  const http = new HttpClient({
    sleep: () => Promise.resolve(),
    ...(opts.transport ? { transport: opts.transport } : {}),
  });
  https.push(http);
  const side = flavor === 'cloud' ? emu.ready.cloud : emu.ready.onprem;
  const oauth = new OAuthTokenProvider({
    flavor,
    tokenUrl: opts.tokenUrl ?? side.tokenUrl,
    ...creds,
    http,
    clock: systemClock,
  });
  const cssm = new CssmClient({
    flavor,
    baseUrl: side.apiBase,
    ...(flavor === 'cloud' ? { devicesBaseUrl: emu.ready.cloud.devicesApiBase } : {}),
    http,
    tokens: oauth,
    pageSize: opts.pageSize ?? 100,
  });
  return { http, oauth, cssm };
}

const cloudClient = () => emu.ready.clients.find((c) => c.for === 'cloud')!;
const onpremClient = () => emu.ready.clients.find((c) => c.for === 'onprem')!;

describe('CSSM cloud (emulator)', () => {
  it('lists accounts, VAs, licenses (paged), tokens and devices', async () => {
    const c = cloudClient();
    const { cssm, http } = build('cloud', c, { pageSize: 2 });
    const accounts = await cssm.listAccounts();
    expect(accounts.map((a) => a.domain)).toContain(c.account);
    const hits = await cssm.searchAccounts({ domain: c.account });
    expect(hits[0]?.domain).toBe(c.account);
    const vas = await cssm.listVirtualAccounts(c.account);
    expect(vas.filter((v) => v.isDefault)).toHaveLength(1);
    const before = http.counters.requests;
    const paged = await cssm.listLicenses(c.account);
    const pages = http.counters.requests - before;
    const { cssm: big } = build('cloud', c, { pageSize: 1000 });
    const whole = await big.listLicenses(c.account);
    expect(paged).toEqual(whole);
    expect(whole.length).toBeGreaterThan(2);
    expect(pages).toBe(Math.ceil(whole.length / 2));
    for (const l of whole)
      for (const d of l.details)
        if (d.licenseType === 'TERM') expect(d.endDate).toBeInstanceOf(Date);
    const devices = await cssm.listDevices(c.account);
    expect(devices.length).toBeGreaterThan(0);
    expect(devices[0]!.udiPid).toMatch(/\w/);
  });

  it('creates, lists and revokes a token', async () => {
    const c = cloudClient();
    const { cssm } = build('cloud', c);
    const va = (await cssm.listVirtualAccounts(c.account)).find((v) => !v.isDefault)!.name;
    const t = await cssm.createToken(c.account, va, {
      description: 'smartlic test',
      expiresAfterDays: 30,
      exportControlled: 'Not Allowed',
    });
    expect(t.token.length).toBeGreaterThan(10);
    expect(t.expirationDate).toBeInstanceOf(Date);
    expect((await cssm.listTokens(c.account, va)).map((x) => x.token)).toContain(t.token);
    await cssm.revokeTokens(c.account, va, [t.token], 'test');
    const after = (await cssm.listTokens(c.account, va)).find((x) => x.token === t.token);
    expect(after?.status).not.toBe('ACTIVE');
  });

  it('bad secret is CSSM1011 at both token URLs (400 old, 401 new)', async () => {
    const c = cloudClient();
    for (const tokenUrl of emu.ready.cloudTokenUrls) {
      const { cssm } = build(
        'cloud',
        { clientId: c.clientId, clientSecret: 'wrong' },
        { tokenUrl },
      );
      const e = await rejection(cssm.listAccounts());
      expect(e.code).toBe('CSSM1011');
    }
  });

  it('a client not entitled to the API gets the plain-words CSSM1015', async () => {
    const u = emu.ready.unentitledClients[0]!;
    const { cssm } = build('cloud', u);
    const e = await rejection(cssm.listVirtualAccounts(u.account));
    expect(e.code).toBe('CSSM1015');
    expect(e.details?.reason).toBe('api-not-entitled');
  });

  it('an unknown or foreign Smart Account is CSSM1019 / CSSM1015', async () => {
    const clients = emu.ready.clients.filter((x) => x.for === 'cloud');
    const { cssm } = build('cloud', clients[0]!);
    expect((await rejection(cssm.listVirtualAccounts('no-such-sa.example.com'))).code).toBe(
      'CSSM1019',
    );
    if (clients[1] && clients[1].account !== clients[0]!.account) {
      const e = await rejection(cssm.listVirtualAccounts(clients[1].account));
      expect(e.code).toBe('CSSM1015');
      expect(e.details?.reason).toBe('no-access');
    }
  });

  it('Proxy mode tunnels through the CONNECT proxy', async () => {
    const c = cloudClient();
    const before = proxy.connects.length;
    const { cssm } = build('cloud', c, { transport: { mode: 'proxy', proxyUrl: proxy.url } });
    expect((await cssm.listAccounts()).length).toBeGreaterThan(0);
    expect(proxy.connects.length).toBeGreaterThan(before);
    expect(proxy.connects.at(-1)).toBe(new URL(emu.baseUrl).host);
  });
});

describe('CSSM On-Prem (emulator)', () => {
  it('authenticates with JSON and reads the local account', async () => {
    const c = onpremClient();
    const { cssm } = build('onprem', c);
    const vas = await cssm.listVirtualAccounts(c.account);
    expect(vas).toHaveLength(1);
    const va = vas[0]!.name;
    const lic = await cssm.listLicenses(c.account);
    expect(Array.isArray(lic)).toBe(true);
    const t = await cssm.createToken(c.account, va, {
      description: 'sat',
      expiresAfterDays: 365,
      exportControlled: 'Allowed',
    });
    expect((await cssm.listTokens(c.account, va)).some((x) => x.token === t.token)).toBe(true);
    const devices = await cssm.listDevices(c.account);
    expect(Array.isArray(devices)).toBe(true);
    expect((await rejection(cssm.listVirtualAccounts('la-nobody'))).code).toBe('CSSM1019');
  });
});

describe('wire details (issue 7)', () => {
  /** A token source that hands out a stale token first, then real ones. */
  function staleFirst(real: OAuthTokenProvider) {
    let stale = true;
    const invalidated: string[] = [];
    return {
      invalidated,
      async getToken() {
        if (stale) return 'stale-token';
        return real.getToken();
      },
      invalidate(token?: string) {
        invalidated.push(token ?? '');
        stale = false;
        real.invalidate(token);
      },
    };
  }

  it('On-Prem answers 403 to a stale token; the client re-authenticates once', async () => {
    const c = onpremClient();
    const { http, oauth } = build('onprem', c);
    const tokens = staleFirst(oauth);
    const cssm = new CssmClient({
      flavor: 'onprem',
      baseUrl: emu.ready.onprem.apiBase,
      http,
      tokens,
    });
    expect(await cssm.listVirtualAccounts(c.account)).toHaveLength(1);
    expect(tokens.invalidated).toEqual(['stale-token']);
  });

  it("the cloud's 403 (app not entitled) is not cured by a new token: no re-authentication", async () => {
    const u = emu.ready.unentitledClients[0]!;
    const { http, oauth } = build('cloud', u);
    let asked = 0;
    const cssm = new CssmClient({
      flavor: 'cloud',
      baseUrl: emu.ready.cloud.apiBase,
      http,
      tokens: {
        getToken: () => {
          asked++;
          return oauth.getToken();
        },
        invalidate: (t?: string) => oauth.invalidate(t),
      },
    });
    await rejection(cssm.listAccounts());
    expect(asked).toBe(1);
  });

  it('lists devices under the Software APIs base only, filtered by instanceName', async () => {
    const c = cloudClient();
    const { cssm, oauth } = build('cloud', c);
    const all = await cssm.listDevices(c.account);
    const one = all.find((d) => d.instanceName)!;
    const named = await cssm.listDevices(c.account, { instanceName: one.instanceName! });
    expect(named.map((d) => d.instanceName)).toEqual([one.instanceName]);
    // The old base has no device list.
    const old = await fetch(
      `${emu.ready.cloud.apiBase}/licensing/v2/accounts/${c.account}/devices`,
      { headers: { authorization: `Bearer ${await oauth.getToken()}` } },
    );
    expect(old.status).toBe(404);
  });

  it('the VA list path is served with CUSTOMER and with lowercase customer', async () => {
    const c = cloudClient();
    const { oauth } = build('cloud', c);
    const auth = { authorization: `Bearer ${await oauth.getToken()}`, accept: 'application/json' };
    for (const kind of ['CUSTOMER', 'customer']) {
      const r = await fetch(
        `${emu.ready.cloud.apiBase}/v1/accounts/${c.account}/${kind}/virtual-accounts`,
        { headers: auth },
      );
      expect(r.status).toBe(200);
      expect(
        ((await r.json()) as { virtualAccounts: unknown[] }).virtualAccounts.length,
      ).toBeGreaterThan(0);
    }
  });
});
