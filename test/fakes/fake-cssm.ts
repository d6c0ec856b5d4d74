/**
 * A programmable CSSM cloud on 127.0.0.1 for the tests of hostile or odd answers: it serves the
 * endpoints a sync calls (DOMAIN §2: OAuth token, account search, VA list, license usage,
 * tokens, devices) from a plain `world` the test edits between syncs, and lets a test take over
 * any request (`intercept`) to answer something no well-behaved CSSM would (an echoed secret,
 * an oversized body, `Retry-After: 0`). Unlike the emulator it checks nothing it need not:
 * it exists to say exactly what the test wants said.
 */
import type { ServerResponse } from 'node:http';
import { json, startFakeServer, type FakeServer, type RecordedRequest } from './fake-http.ts';

export interface FakeLicense {
  license: string;
  virtualAccount: string;
  quantity: number | string;
  inUse: number | string;
  available: number | string;
  status?: string;
}

export interface FakeToken {
  token: string;
  expirationDate: string;
  exportControlled: 'Allowed' | 'Not Allowed';
  status?: string;
  description?: string;
}

export interface FakeWorld {
  domain: string;
  clientId: string;
  clientSecret: string;
  vas: { name: string; isDefault?: boolean }[];
  licenses: FakeLicense[];
  tokens: Record<string, FakeToken[]>;
  devices: { virtualAccount: string; udiPid: string; udiSerialNumber: string }[];
}

/** Return true when the request was answered; false lets the fake answer as usual. */
export type Interceptor = (req: RecordedRequest, res: ServerResponse) => boolean | Promise<boolean>;

export interface FakeCssm {
  server: FakeServer;
  world: FakeWorld;
  tokenUrl: string;
  apiBase: string;
  devicesApiBase: string;
  /** Access tokens handed out so far. */
  accessTokens: string[];
  intercept(fn: Interceptor | undefined): void;
  close(): Promise<void>;
}

let minted = 0;

export function licenseRecord(
  va: string,
  license: string,
  quantity: number,
  inUse: number,
): FakeLicense {
  return {
    license,
    virtualAccount: va,
    quantity,
    inUse,
    available: quantity - inUse,
    status: quantity >= inUse ? 'In Compliance' : 'Insufficient Licenses',
  };
}

export async function startFakeCssm(world: FakeWorld): Promise<FakeCssm> {
  let interceptor: Interceptor | undefined;
  const accessTokens: string[] = [];
  const api = '/services/api/smart-accounts-and-licensing/';
  // The device list lives under CSSM's newer Software APIs base (a separate setting).
  const devicesApi = '/v1/software/apis/';
  const server = await startFakeServer(async (req, res) => {
    if (interceptor && (await interceptor(req, res))) return;
    const url = new URL(req.path, 'http://x');
    const p = url.pathname;
    if (p === '/oauth2/token') {
      const body = new URLSearchParams(req.body);
      if (body.get('client_secret') !== world.clientSecret) {
        json(res, 401, { error: 'invalid_client' });
        return;
      }
      const t = `fake-access-${++minted}-${Math.random().toString(36).slice(2, 10)}`;
      accessTokens.push(t);
      json(res, 200, { access_token: t, token_type: 'Bearer', expires_in: 3599 });
      return;
    }
    const auth = req.headers.authorization ?? '';
    if (!accessTokens.some((t) => auth === `Bearer ${t}`)) {
      json(res, 401, { error: 'invalid_token' });
      return;
    }
    const onDevicesApi = p.startsWith(devicesApi);
    if (!p.startsWith(api) && !onDevicesApi) {
      json(res, 404, { message: `no such resource: ${p}` });
      return;
    }
    const rest = p
      .slice(onDevicesApi ? devicesApi.length : api.length)
      .split('/')
      .map(decodeURIComponent);
    const d = world.domain;
    if (rest[0] === 'v1' && rest[1] === 'accounts' && rest[2] === 'search') {
      json(res, 200, {
        totalRecords: 1,
        status: 'SUCCESS',
        accounts: [{ domain: d, name: 'Fake SA', id: '1', type: 'CUSTOMER', status: 'Active' }],
      });
      return;
    }
    if (rest[0] === 'v1' && rest[1] === 'accounts' && rest[2] === d) {
      if (/^customer$/i.test(rest[3] ?? '') && rest[4] === 'virtual-accounts') {
        json(res, 200, {
          status: 'SUCCESS',
          virtualAccounts: world.vas.map((v) => ({
            name: v.name,
            description: '',
            isDefault: v.isDefault ? 'true' : 'false',
            commerceAccessLevel: 'FULL',
          })),
        });
        return;
      }
      if (rest[3] === 'licenses' && req.method === 'POST') {
        const b = JSON.parse(req.body || '{}') as { limit?: number; offset?: number };
        const offset = b.offset ?? 0;
        const limit = b.limit ?? 100;
        json(res, 200, {
          status: 'SUCCESS',
          totalRecords: world.licenses.length,
          licenses: world.licenses.slice(offset, offset + limit),
        });
        return;
      }
      if (rest[3] === 'virtual-accounts' && rest[5] === 'tokens') {
        const va = rest[4]!;
        const list = (world.tokens[va] ??= []);
        if (req.method === 'POST') {
          const b = JSON.parse(req.body || '{}') as {
            description?: string;
            expiresAfterDays?: number;
            exportControlled?: 'Allowed' | 'Not Allowed';
          };
          const t: FakeToken = {
            token: `FAKE${++minted}${'x'.repeat(40)}${Math.random().toString(36).slice(2, 8)}`,
            expirationDate: new Date(
              Date.now() + (b.expiresAfterDays ?? 365) * 86_400_000,
            ).toISOString(),
            exportControlled: b.exportControlled ?? 'Not Allowed',
            status: 'ACTIVE',
            description: b.description ?? '',
          };
          list.push(t);
          json(res, 200, { status: 'SUCCESS', tokenInfo: t });
          return;
        }
        json(res, 200, { status: 'SUCCESS', tokens: list });
        return;
      }
    }
    if (
      onDevicesApi &&
      rest[0] === 'licensing' &&
      rest[1] === 'v2' &&
      rest[3] === d &&
      rest[4] === 'devices'
    ) {
      const offset = Number(url.searchParams.get('offset') ?? 0);
      const limit = Number(url.searchParams.get('limit') ?? 100);
      json(res, 200, {
        status: 'SUCCESS',
        totalRecords: world.devices.length,
        devices: world.devices.slice(offset, offset + limit).map((x) => ({
          instanceName: x.udiSerialNumber,
          productTagName: 'regid.fake',
          virtualAccount: x.virtualAccount,
          sudi: { udiPid: x.udiPid, udiSerialNumber: x.udiSerialNumber },
        })),
      });
      return;
    }
    json(res, 404, { message: `no such resource: ${req.method} ${p}` });
  });
  return {
    server,
    world,
    tokenUrl: `${server.url}/oauth2/token`,
    apiBase: `${server.url}${api}`,
    devicesApiBase: `${server.url}${devicesApi}`,
    accessTokens,
    intercept: (fn) => {
      interceptor = fn;
    },
    close: () => server.close(),
  };
}
