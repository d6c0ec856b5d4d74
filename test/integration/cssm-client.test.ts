// Real: core/cssm/cssm.client.ts, oauth.ts and http.ts over loopback HTTP; TestClock for token
// expiry. Faked: CSSM cloud and On-Prem, played by a small node:http server in this file
// (test/fakes/fake-http.ts) whose answers each test scripts; the backoff sleep.
import { afterEach, describe, expect, it } from 'vitest';
import { CssmClient } from '../../core/cssm/cssm.client.ts';
import { HttpClient } from '../../core/cssm/http.ts';
import { OAuthTokenProvider } from '../../core/cssm/oauth.ts';
import { TestClock } from '../../core/clock.ts';
import {
  json,
  startFakeServer,
  type FakeHandler,
  type FakeServer,
  type RecordedRequest,
} from '../fakes/fake-http.ts';
import { cssmLicenseRecord, rejection } from '../support/helpers.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const lic = cssmLicenseRecord;

interface Setup {
  srv: FakeServer;
  cssm: CssmClient;
  oauth: OAuthTokenProvider;
  http: HttpClient;
  clock: TestClock;
  api: RecordedRequest[];
  tokenCalls: RecordedRequest[];
}

/** A fake CSSM: /token issues tok-1, tok-2, …; everything else goes to `api`. */
async function setup(
  api: FakeHandler,
  flavor: 'cloud' | 'onprem' = 'cloud',
  pageSize = 3,
): Promise<Setup> {
  let issued = 0;
  const tokenCalls: RecordedRequest[] = [];
  const apiCalls: RecordedRequest[] = [];
  const srv = await startFakeServer((req, res, ctx) => {
    if (req.path.startsWith('/token') || req.path.startsWith('/backend/oauth/token')) {
      tokenCalls.push(req);
      return void setTimeout(
        () =>
          json(res, 200, {
            access_token: `tok-${++issued}`,
            token_type: 'Bearer',
            expires_in: 3599,
          }),
        20,
      );
    }
    apiCalls.push(req);
    return api(req, res, ctx);
  });
  const clock = new TestClock();
  const http = new HttpClient({ sleep: () => Promise.resolve(), clock });
  const oauth = new OAuthTokenProvider({
    flavor,
    tokenUrl: flavor === 'cloud' ? `${srv.url}/token` : `${srv.url}/backend/oauth/token`,
    clientId: 'cid',
    clientSecret: 's3cr3t&=',
    http,
    clock,
  });
  const cssm = new CssmClient({
    flavor,
    baseUrl:
      flavor === 'cloud'
        ? `${srv.url}/services/api/smart-accounts-and-licensing/`
        : `${srv.url}/backend/api/v1/`,
    http,
    tokens: oauth,
    pageSize,
    devicesPageSize: pageSize,
  });
  cleanups.push(async () => {
    await http.close();
    await srv.close();
  });
  return { srv, cssm, oauth, http, clock, api: apiCalls, tokenCalls };
}

describe('OAuth', () => {
  it('cloud: form body, cached, single-flight, refreshed before expiry', async () => {
    const s = await setup((_req, res) => json(res, 200, { accounts: [] }));
    const tokens = await Promise.all([s.oauth.getToken(), s.oauth.getToken(), s.oauth.getToken()]);
    expect(tokens).toEqual(['tok-1', 'tok-1', 'tok-1']);
    expect(s.tokenCalls).toHaveLength(1);
    expect(s.tokenCalls[0]!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(s.tokenCalls[0]!.body))).toEqual({
      grant_type: 'client_credentials',
      client_id: 'cid',
      client_secret: 's3cr3t&=',
    });
    s.clock.advance({ seconds: 3000 });
    expect(await s.oauth.getToken()).toBe('tok-1');
    s.clock.advance({ seconds: 560 }); // inside the 60 s margin
    expect(await s.oauth.getToken()).toBe('tok-2');
  });

  it('On-Prem: JSON body to /backend/oauth/token', async () => {
    const s = await setup((_req, res) => json(res, 200, {}), 'onprem');
    await s.oauth.getToken();
    expect(s.tokenCalls[0]!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(s.tokenCalls[0]!.body)).toEqual({
      client_id: 'cid',
      client_secret: 's3cr3t&=',
      grant_type: 'client_credentials',
    });
  });

  it('invalid_client is CSSM1011 with the reconfigure action', async () => {
    const srv = await startFakeServer((_req, res) =>
      json(res, 401, {
        error: 'invalid_client',
        error_description: 'Client authentication failed',
      }),
    );
    const http = new HttpClient({ sleep: () => Promise.resolve() });
    cleanups.push(async () => {
      await http.close();
      await srv.close();
    });
    const oauth = new OAuthTokenProvider({
      flavor: 'cloud',
      tokenUrl: `${srv.url}/token`,
      clientId: 'x',
      clientSecret: 'y',
      http,
      clock: new TestClock(),
    });
    const e = await rejection(oauth.getToken());
    expect(e.code).toBe('CSSM1011');
    expect(e.action).toBe('Reconfigure the client id and secret, then sync.');
    expect(e.message).not.toContain('y"');
  });
});

describe('CssmClient', () => {
  it('re-authenticates once on 401, then succeeds', async () => {
    let n = 0;
    const s = await setup((_req, res) => {
      if (n++ === 0) return json(res, 401, { message: 'token expired' });
      json(res, 200, {
        status: 'SUCCESS',
        accounts: [
          {
            accountName: 'Acme',
            accountDomain: 'acme.com',
            accountStatus: 'Active',
            accountType: 'CUSTOMER',
            roles: [{ role: 'SA Admin' }],
          },
        ],
      });
    });
    const accts = await s.cssm.listAccounts();
    expect(accts).toEqual([
      {
        name: 'Acme',
        domain: 'acme.com',
        status: 'Active',
        type: 'CUSTOMER',
        roles: [{ role: 'SA Admin' }],
      },
    ]);
    expect(s.api.map((r) => r.headers.authorization)).toEqual(['Bearer tok-1', 'Bearer tok-2']);
    expect(s.api[0]!.path).toBe('/services/api/smart-accounts-and-licensing/v2/accounts');
  });

  it('a second 401 is CSSM1011 (only one re-auth)', async () => {
    const s = await setup((_req, res) => json(res, 401, { message: 'nope' }));
    const e = await rejection(s.cssm.listAccounts());
    expect(e.code).toBe('CSSM1011');
    expect(s.api).toHaveLength(2);
    expect(s.tokenCalls).toHaveLength(2);
  });

  it('pages licenses with offset/limit until totalRecords', async () => {
    const all = Array.from({ length: 7 }, (_, i) => lic(i));
    const s = await setup((req, res) => {
      const b = JSON.parse(req.body) as {
        offset: number;
        limit: number;
        virtualAccounts: string[];
      };
      json(res, 200, {
        totalRecords: all.length,
        status: 'SUCCESS',
        licenses: all.slice(b.offset, b.offset + b.limit),
      });
    });
    const got = await s.cssm.listLicenses('acme.com', ['ops']);
    expect(got.map((l) => l.license)).toEqual(all.map((l) => l.license));
    expect(got[0]!.details[0]!.startDate?.toISOString()).toBe('2025-05-20T00:00:00.000Z');
    expect(s.api.map((r) => JSON.parse(r.body).offset)).toEqual([0, 3, 6]);
    expect(JSON.parse(s.api[0]!.body).virtualAccounts).toEqual(['ops']);
    expect(s.api[0]!.path).toBe(
      '/services/api/smart-accounts-and-licensing/v1/accounts/acme.com/licenses',
    );
  });

  it('403 "Invalid Client" is told apart from no access', async () => {
    const s = await setup((req, res) =>
      req.path.includes('virtual-accounts')
        ? json(res, 403, { message: 'Invalid Client' })
        : json(res, 403, {
            status: 'ERROR',
            statusMessage: 'User does not have access to the account',
          }),
    );
    const a = await rejection(s.cssm.listVirtualAccounts('acme.com'));
    expect(a.code).toBe('CSSM1015');
    expect(a.details?.reason).toBe('api-not-entitled');
    expect(a.message).toMatch(/not approved/);
    const b = await rejection(s.cssm.listAccounts());
    expect(b.details?.reason).toBe('no-access');
  });

  it('unknown SA (404) is CSSM1019; status ERROR with 200 is mapped; 5xx after retries is CSSM1020', async () => {
    const s = await setup((req, res) => {
      if (req.path.includes('nobody'))
        return json(res, 404, { message: 'Smart Account not found' });
      if (req.path.includes('tokens'))
        return json(res, 200, { status: 'ERROR', statusMessage: 'Token service unavailable' });
      json(res, 500, { message: 'boom' });
    });
    expect((await rejection(s.cssm.listVirtualAccounts('nobody.com'))).code).toBe('CSSM1019');
    const t = await rejection(s.cssm.listTokens('acme.com', 'ops'));
    expect(t.code).toBe('CSSM1020');
    expect(t.message).toContain('Token service unavailable');
    const v = await rejection(s.cssm.listVirtualAccounts('acme.com'));
    expect(v.code).toBe('CSSM1020');
  });

  it('an unexpected shape is CSSM1020 naming the field', async () => {
    const s = await setup((_req, res) =>
      json(res, 200, { virtualAccounts: [{ name: 'ops', isDefault: 'maybe' }] }),
    );
    const e = await rejection(s.cssm.listVirtualAccounts('acme.com'));
    expect(e.code).toBe('CSSM1020');
    expect(e.details?.field).toBe('virtualAccounts[0].isDefault');
  });

  it('creates, lists and revokes tokens; URL-encodes VA names', async () => {
    const s = await setup((req, res) => {
      if (req.method === 'POST' && req.path.endsWith('/tokens'))
        return json(res, 200, {
          status: 'SUCCESS',
          tokenInfo: {
            token: 'NEW',
            description: 'd',
            expirationDate: '2026-12-31',
            exportControlled: 'Allowed',
          },
        });
      if (req.path.endsWith('/revoke')) return json(res, 200, { status: 'SUCCESS' });
      json(res, 200, { tokens: [{ token: 'OLD', expirationDate: '2026-02-01T00:00:00Z' }] });
    });
    const t = await s.cssm.createToken('acme.com', 'va ops/1', {
      description: 'd',
      expiresAfterDays: 365,
      exportControlled: 'Allowed',
    });
    expect(t.token).toBe('NEW');
    expect(JSON.parse(s.api[0]!.body)).toEqual({
      description: 'd',
      expiresAfterDays: 365,
      exportControlled: 'Allowed',
    });
    expect(s.api[0]!.path).toBe(
      '/services/api/smart-accounts-and-licensing/v1/accounts/acme.com/virtual-accounts/va%20ops%2F1/tokens',
    );
    expect((await s.cssm.listTokens('acme.com', 'ops'))[0]!.expirationDate?.toISOString()).toBe(
      '2026-02-01T00:00:00.000Z',
    );
    await s.cssm.revokeTokens('acme.com', 'ops', ['OLD'], 'rotated');
    expect(JSON.parse(s.api[2]!.body)).toEqual({ tokens: [{ token: 'OLD', reason: 'rotated' }] });
  });

  it('transfers in chunks of at most 998', async () => {
    const s = await setup((_req, res) => json(res, 200, { status: 'SUCCESS' }));
    const r = await s.cssm.transferLicenses('acme.com', 'ordered', [
      { license: 'L', licenseType: 'TERM', quantity: 2100, targetVirtualAccount: 'ops' },
    ]);
    expect(r.requests).toBe(3);
    expect(s.api.map((x) => JSON.parse(x.body).licenses[0].quantity)).toEqual([998, 998, 104]);
  });

  it('lists devices from data[]/totalRows pages and from a devices[] answer; removes with the misspelled key', async () => {
    const dev = (i: number) => ({
      instanceName: `cl${i}`,
      productTagName: 'tag',
      sudi: { udiPid: 'UCM', udiSerialNumber: `sn${i}` },
      lastContactDate: '2025-01-01T00:00:00Z',
    });
    const rows = Array.from({ length: 5 }, (_, i) => dev(i));
    let dialect: 'new' | 'old' = 'new';
    const s = await setup((req, res) => {
      if (req.path.includes('/devices/remove')) return json(res, 200, { status: 'SUCCESS' });
      const q = new URL(req.path, 'http://x').searchParams;
      const start = Number(q.get('startIdx'));
      const n = Number(q.get('rowsPerPage'));
      if (dialect === 'new')
        return json(res, 200, {
          status: 'SUCCESS',
          data: rows.slice(start, start + n),
          totalRows: rows.length,
        });
      json(res, 200, { status: 'SUCCESS', devices: rows.slice(0, 2) });
    });
    const a = await s.cssm.listDevices('acme.com', 'ops');
    expect(a.map((d) => d.udiSerialNumber)).toEqual(['sn0', 'sn1', 'sn2', 'sn3', 'sn4']);
    expect(s.api[0]!.path).toMatch(
      /^\/services\/api\/smart-accounts-and-licensing\/licensing\/v2\/accounts\/acme\.com\/devices\?virtualAccountName=ops&startIdx=0&rowsPerPage=3/,
    );
    dialect = 'old';
    const b = await s.cssm.listDevices('acme.com');
    expect(b).toHaveLength(2);
    await s.cssm.removeDevices('acme.com', 'ops', [
      { udiPid: 'UCM', udiSerialNumber: 'sn0', productTagName: 'tag' },
    ]);
    const last = s.api.at(-1)!;
    expect(last.path).toBe(
      '/services/api/smart-accounts-and-licensing/v2/accounts/acme.com/virtual-accounts/ops/devices/remove',
    );
    expect(JSON.parse(last.body)).toEqual({
      productInstacesRemoveRequests: [
        { sudi: { udiPid: 'UCM', udiSerialNumber: 'sn0' }, productTagName: 'tag' },
      ],
    });
  });

  it('On-Prem uses /backend/api/v1/ keyed by local account name', async () => {
    const s = await setup(
      (_req, res) => json(res, 200, { virtualAccounts: [{ name: 'la-1', isDefault: 'true' }] }),
      'onprem',
    );
    const vas = await s.cssm.listVirtualAccounts('tenant-a');
    expect(vas[0]!.isDefault).toBe(true);
    expect(s.api[0]!.path).toBe('/backend/api/v1/accounts/tenant-a/CUSTOMER/virtual-accounts');
  });
});
