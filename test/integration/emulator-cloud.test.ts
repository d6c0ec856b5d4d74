// Real: the emulator over loopback HTTP (node:http server, demo scenario, core/domain
// allocation). Faked: nothing — requests are plain fetch calls, no smartlic client.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SA1,
  SA2,
  admin,
  api,
  cloudToken,
  licenses,
  start,
  type Emu,
  type Json,
} from './emulator-helpers.ts';

let emu: Emu;
let tok: string;
let base: string;

beforeAll(async () => {
  emu = await start();
  tok = await cloudToken(emu);
  base = emu.ready.cloud.apiBase;
});
afterAll(async () => emu.close());

describe('OAuth token endpoints', () => {
  const client = () => emu.ready.clients.find((c) => c.for === 'cloud')!;

  it('issues a bearer token on both paths, from a form body or the query string', async () => {
    for (const path of ['/as/token.oauth2', '/oauth2/default/v1/token']) {
      const c = client();
      const form = await fetch(`${emu.baseUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `grant_type=client_credentials&client_id=${c.clientId}&client_secret=${c.clientSecret}`,
      });
      expect(form.status).toBe(200);
      const j = (await form.json()) as Json;
      expect(j).toEqual({
        access_token: expect.any(String),
        token_type: 'Bearer',
        expires_in: 3599,
      });
      const q = await fetch(
        `${emu.baseUrl}${path}?grant_type=client_credentials&client_id=${c.clientId}&client_secret=${c.clientSecret}`,
        { method: 'POST' },
      );
      expect(q.status).toBe(200);
    }
  });

  it('answers invalid_client with 400 on the old path and 401 on the new one', async () => {
    const body = `grant_type=client_credentials&client_id=${client().clientId}&client_secret=wrong`;
    const h = { 'content-type': 'application/x-www-form-urlencoded' };
    const old = await fetch(`${emu.baseUrl}/as/token.oauth2`, { method: 'POST', headers: h, body });
    expect(old.status).toBe(400);
    expect(((await old.json()) as Json).error).toBe('invalid_client');
    const neu = await fetch(`${emu.baseUrl}/oauth2/default/v1/token`, {
      method: 'POST',
      headers: h,
      body,
    });
    expect(neu.status).toBe(401);
    expect(((await neu.json()) as Json).error).toBe('invalid_client');
  });

  it('gives a not-entitled client a token, then 403 "Invalid Client"', async () => {
    const c = emu.ready.unentitledClients[0]!;
    const r = await fetch(emu.ready.cloud.tokenUrl, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: c.clientId,
        client_secret: c.clientSecret,
      }),
    });
    expect(r.status).toBe(200);
    const t = ((await r.json()) as Json).access_token;
    const a = await api(`${base}/v2/accounts`, t);
    expect(a.status).toBe(403);
    expect(a.body.message).toBe('Invalid Client');
  });

  it('rejects a missing or unknown bearer token with 401', async () => {
    expect((await api(`${base}/v2/accounts`, 'nope')).status).toBe(401);
    const r = await fetch(`${base}/v2/accounts`);
    expect(r.status).toBe(401);
    expect(r.headers.get('x-request-id')).toBeTruthy();
  });
});

describe('smart and virtual accounts', () => {
  it('lists the SAs the client may see', async () => {
    const r = await api(`${base}/v2/accounts`, tok);
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('SUCCESS');
    expect(r.body.accounts).toEqual([
      {
        accountName: 'Nimbus Voice HCS',
        accountDomain: SA1,
        accountStatus: 'Active',
        accountType: 'CUSTOMER',
        roles: [{ role: 'SA Admin' }],
      },
    ]);
  });

  it('searches SAs with totalRecords', async () => {
    const r = await api(
      `${base}/v1/accounts/search?domain=nimbus&type=CUSTOMER&limit=10&offset=0`,
      tok,
    );
    expect(r.body).toMatchObject({ totalRecords: 1, status: 'SUCCESS' });
    expect(r.body.accounts[0]).toEqual({
      domain: SA1,
      name: 'Nimbus Voice HCS',
      id: 418201,
      type: 'CUSTOMER',
      status: 'Active',
    });
  });

  it('lists VAs with isDefault as a string', async () => {
    const r = await api(`${base}/v1/accounts/${SA1}/CUSTOMER/virtual-accounts`, tok);
    expect(r.status).toBe(200);
    const vas = r.body.virtualAccounts;
    expect(vas.map((v: Json) => v.name)).toEqual([
      'DEFAULT',
      'va-hcs-ordered',
      'va-hcs-operational',
      'va-acme',
      'va-globex',
    ]);
    for (const v of vas) {
      expect(typeof v.isDefault).toBe('string');
      expect(typeof v.description).toBe('string');
      expect(typeof v.commerceAccessLevel).toBe('string');
    }
    expect(vas[0].isDefault).toBe('true');
    expect(vas[1].isDefault).toBe('false');
  });

  it('answers 404 for an unknown SA and 403 for an SA of another client', async () => {
    const a = await api(`${base}/v1/accounts/nope.example/CUSTOMER/virtual-accounts`, tok);
    expect(a.status).toBe(404);
    expect(a.body).toEqual({ status: 'ERROR', statusMessage: expect.any(String) });
    const b = await api(`${base}/v1/accounts/${SA2}/CUSTOMER/virtual-accounts`, tok);
    expect(b.status).toBe(403);
    expect(b.body.status).toBe('ERROR');
  });

  it('creates and deletes a VA (extension, marked as such)', async () => {
    const c = await api(`${base}/v1/accounts/${SA1}/virtual-accounts`, tok, {
      body: { name: 'va-new', description: 'x' },
    });
    expect(c.status).toBe(201);
    expect(c.headers.get('x-emulator-extension')).toBe('true');
    expect(c.body.virtualAccount).toMatchObject({ name: 'va-new', isDefault: 'false' });
    const dup = await api(`${base}/v1/accounts/${SA1}/virtual-accounts`, tok, {
      body: { name: 'va-new' },
    });
    expect(dup.status).toBe(409);
    const d = await api(`${base}/v1/accounts/${SA1}/virtual-accounts/va-new`, tok, {
      method: 'DELETE',
    });
    expect(d.status).toBe(200);
    const busy = await api(`${base}/v1/accounts/${SA1}/virtual-accounts/va-acme`, tok, {
      method: 'DELETE',
    });
    expect(busy.status).toBe(409);
  });
});

describe('license usage', () => {
  it('pages with offset/limit and totalRecords, record fields typed as DOMAIN shows', async () => {
    const all = await api(`${base}/v1/accounts/${SA1}/licenses`, tok, {
      body: { virtualAccounts: [], limit: 1000, offset: 0 },
    });
    expect(all.status).toBe(200);
    const total = all.body.totalRecords;
    expect(total).toBe(all.body.licenses.length);
    expect(total).toBeGreaterThan(10);
    const seen: Json[] = [];
    for (let offset = 0; offset < total; offset += 4) {
      const p = await api(`${base}/v1/accounts/${SA1}/licenses`, tok, {
        body: { virtualAccounts: [], limit: 4, offset },
      });
      expect(p.body.totalRecords).toBe(total);
      expect(p.body.licenses.length).toBe(Math.min(4, total - offset));
      seen.push(...p.body.licenses);
    }
    expect(seen).toEqual(all.body.licenses);
    const rec = all.body.licenses.find(
      (l: Json) => l.license === 'UC Manager Enhanced License (12.x)',
    );
    expect(rec).toMatchObject({
      virtualAccount: 'va-acme',
      quantity: 400,
      reserved: 0,
      pendingQuantity: 0,
      billingType: 'PREPAID',
      isPortable: false,
      ahaApps: false,
      status: 'In Compliance',
    });
    expect(typeof rec.inUse).toBe('number');
    expect(rec.available).toBe(rec.quantity - rec.inUse);
    const perpetual = rec.licenseDetails.find((d: Json) => d.licenseType === 'PERPETUAL');
    expect(perpetual).toEqual({
      licenseType: 'PERPETUAL',
      quantity: 300,
      startDate: null,
      endDate: null,
      subscriptionId: null,
      status: 'ACTIVE',
    });
    const term = rec.licenseDetails.find((d: Json) => d.licenseType === 'TERM');
    expect(term.startDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(term.subscriptionId).toMatch(/^Sub\d+$/);
  });

  it('shows the HCS Standard shortage of va-globex as Insufficient Licenses', async () => {
    const recs = await licenses(emu, tok, SA1, ['va-globex']);
    const std = recs.find((l) => l.license === 'HCS UCM Standard');
    expect(std).toMatchObject({
      quantity: 150,
      inUse: 220,
      available: -70,
      status: 'Insufficient Licenses',
    });
    const ess = recs.find((l) => l.license === 'HCS UCM Essential');
    expect(ess.licenseSubstitutions).toEqual([
      {
        licenseName: 'HCS UCM Essential',
        substitutedLicense: 'HCS UCM Foundation',
        substitutedQuantity: 40,
        substitutionType: 'Higher Tier',
      },
    ]);
  });

  it('answers 404 for an unknown VA and 400 for a bad body', async () => {
    const r = await api(`${base}/v1/accounts/${SA1}/licenses`, tok, {
      body: { virtualAccounts: ['nope'] },
    });
    expect(r.status).toBe(404);
    const b = await api(`${base}/v1/accounts/${SA1}/licenses`, tok, {
      body: { virtualAccounts: 'x' },
    });
    expect(b.status).toBe(400);
    expect(b.body.status).toBe('ERROR');
  });
});

describe('tokens', () => {
  const url = () => `${base}/v1/accounts/${SA1}/virtual-accounts/va-globex/tokens`;

  it('creates (numbers as strings too), lists and revokes tokens', async () => {
    const c = await api(url(), tok, {
      body: { description: 'smartlic', expiresAfterDays: '365', exportControlled: 'Allowed' },
    });
    expect(c.status).toBe(200);
    expect(c.body.status).toBe('SUCCESS');
    const info = c.body.tokenInfo;
    expect(info).toMatchObject({
      description: 'smartlic',
      exportControlled: 'Allowed',
      status: 'ACTIVE',
    });
    expect(new Date(info.expirationDate).getTime() - Date.parse('2026-11-28T12:00:00Z')).toBe(
      365 * 86_400_000,
    );
    const l = await api(url(), tok);
    expect(l.body.tokens.map((t: Json) => t.token)).toContain(info.token);
    const rv = await api(`${url()}/revoke`, tok, {
      body: { tokens: [{ token: info.token, reason: 'test' }] },
    });
    expect(rv.status).toBe(200);
    const after = await api(url(), tok);
    expect(after.body.tokens.find((t: Json) => t.token === info.token).status).toBe('REVOKED');
    const bad = await api(`${url()}/revoke`, tok, { body: { tokens: [{ token: 'nope' }] } });
    expect(bad.status).toBe(404);
  });

  it('rejects a bad expiry', async () => {
    const r = await api(url(), tok, { body: { description: 'x', expiresAfterDays: 0 } });
    expect(r.status).toBe(400);
    expect(r.body.status).toBe('ERROR');
  });

  it('shows the demo expired token as EXPIRED', async () => {
    const r = await api(
      `${base}/v1/accounts/${SA1}/virtual-accounts/va-hcs-operational/tokens`,
      tok,
    );
    expect(r.body.tokens.map((t: Json) => t.status).sort()).toEqual(['ACTIVE', 'EXPIRED']);
  });
});

describe('license transfer', () => {
  const url = `/v1/accounts/${SA1}/virtual-accounts/va-hcs-ordered/licenses/transfer`;

  it('moves licenses between VAs and lifts a shortage', async () => {
    const r = await api(`${base}${url}`, tok, {
      body: {
        licenses: [
          {
            license: 'HCS UCM Standard',
            licenseType: 'TERM',
            quantity: 100,
            targetVirtualAccount: 'va-globex',
          },
        ],
      },
    });
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('SUCCESS');
    const recs = await licenses(emu, tok, SA1, ['va-globex', 'va-hcs-ordered']);
    const g = recs.find(
      (l) => l.virtualAccount === 'va-globex' && l.license === 'HCS UCM Standard',
    );
    expect(g).toMatchObject({ quantity: 250, inUse: 220, available: 30, status: 'In Compliance' });
    const o = recs.find(
      (l) => l.virtualAccount === 'va-hcs-ordered' && l.license === 'HCS UCM Standard',
    );
    expect(o.quantity).toBe(1400);
    const c = await admin(emu, 'clusters/globex-cucm-01');
    expect(c.authorization.status).toBe('Authorized');
    // Put them back so other tests see the demo's shortage.
    await api(`${base}/v1/accounts/${SA1}/virtual-accounts/va-globex/licenses/transfer`, tok, {
      body: {
        licenses: [
          {
            license: 'HCS UCM Standard',
            licenseType: 'TERM',
            quantity: 100,
            targetVirtualAccount: 'va-hcs-ordered',
          },
        ],
      },
    });
  });

  it('refuses more than is available, more than 998 per line, and unknown targets', async () => {
    const over = await api(`${base}${url}`, tok, {
      body: {
        licenses: [
          {
            license: 'HCS UCM Standard',
            licenseType: 'TERM',
            quantity: 5000,
            targetVirtualAccount: 'va-globex',
          },
        ],
      },
    });
    expect(over.status).toBe(400);
    expect(over.body.status).toBe('ERROR');
    const chunk = await api(`${base}${url}`, tok, {
      body: {
        licenses: [
          {
            license: 'HCS UCM Foundation',
            licenseType: 'TERM',
            quantity: 999,
            targetVirtualAccount: 'va-globex',
          },
        ],
      },
    });
    expect(chunk.status).toBe(400);
    const target = await api(`${base}${url}`, tok, {
      body: {
        licenses: [
          {
            license: 'HCS UCM Foundation',
            licenseType: 'TERM',
            quantity: 1,
            targetVirtualAccount: 'nope',
          },
        ],
      },
    });
    expect(target.status).toBe(404);
  });
});

describe('devices', () => {
  it('lists devices with paging and removes one (misspelled key), then the right spelling', async () => {
    const url = `${emu.ready.cloud.devicesApiBase}licensing/v2/accounts/${SA1}/devices?virtualAccountName=va-globex&limit=2&offset=0`;
    const r = await api(url, tok);
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('SUCCESS');
    expect(r.body.totalRecords).toBe(4);
    expect(r.body.devices).toHaveLength(2);
    const d = r.body.devices[0];
    expect(d).toMatchObject({
      instanceName: expect.any(String),
      productTagName: expect.stringMatching(/^regid\./),
      sudi: { udiPid: 'UCM', udiSerialNumber: expect.stringMatching(/^[0-9a-f]{5}$/) },
    });
    expect(d.registrationStatus).toBe('Registered');

    const all = await api(
      `${emu.ready.cloud.devicesApiBase}licensing/v2/accounts/${SA1}/devices?virtualAccountName=va-acme`,
      tok,
    );
    const [first, second] = all.body.devices;
    const rm = `${base}/v2/accounts/${SA1}/virtual-accounts/va-acme/devices/remove`;
    const a = await api(rm, tok, {
      body: {
        productInstacesRemoveRequests: [
          {
            sudi: { udiPid: first.sudi.udiPid, udiSerialNumber: first.sudi.udiSerialNumber },
            productTagName: first.productTagName,
          },
        ],
      },
    });
    expect(a.status).toBe(200);
    const b = await api(rm, tok, {
      body: {
        productInstancesRemoveRequests: [
          { sudi: second.sudi, productTagName: second.productTagName },
        ],
      },
    });
    expect(b.status).toBe(200);
    const left = await api(
      `${emu.ready.cloud.devicesApiBase}licensing/v2/accounts/${SA1}/devices?virtualAccountName=va-acme`,
      tok,
    );
    expect(left.body.totalRecords).toBe(all.body.totalRecords - 2);
    const again = await api(rm, tok, {
      body: { productInstacesRemoveRequests: [{ sudi: first.sudi }] },
    });
    expect(again.status).toBe(404);
    const c = (await admin(emu, 'state')).clusters.find((x: Json) =>
      x.udi.includes(first.sudi.udiSerialNumber),
    );
    expect(c.registration.status).toBe('Unregistered');
  });
});
