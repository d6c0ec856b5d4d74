/**
 * CSSM cloud REST API under `/services/api/smart-accounts-and-licensing/` (DOMAIN §2).
 * Extensions ([design], marked with `X-Emulator-Extension: true`): VA create/delete and the
 * cloud side of a disconnected satellite sync.
 */
import { z } from 'zod';
import type { Client, SmartAccount, VirtualAccount } from '../model/types.ts';
import type { SyncRequestFile } from '../model/satellite-sync.ts';
import {
  BadRequest,
  EXTENSION,
  cssmError,
  intParam,
  json,
  parseJsonBody,
  segments,
  type Ctx,
} from '../http/context.ts';
import { bearerClient } from './oauth.ts';
import {
  DEFAULT_LIMIT,
  createToken,
  listDevices,
  listLicenses,
  listTokens,
  removeDevices,
  revokeTokens,
  transferLicenses,
} from './accounts.ts';

export const CLOUD_PREFIX = '/services/api/smart-accounts-and-licensing/';
/** The newer "Software APIs" base, where the device list lives (DOMAIN §2). */
export const SOFTWARE_APIS_PREFIX = '/v1/software/apis/';

function sa(ctx: Ctx, client: Client, domain: string): SmartAccount {
  const acc = ctx.world.sas.get(domain);
  if (!acc) throw new BadRequest(`Smart Account not found: ${domain}`, 404);
  if (!client.accounts.includes(domain)) {
    throw new BadRequest(`User does not have access to Smart Account ${domain}`, 403);
  }
  return acc;
}

function va(acc: SmartAccount, name: string): VirtualAccount {
  const v = acc.vas.get(name);
  if (!v) throw new BadRequest(`Virtual Account not found: ${name}`, 404);
  return v;
}

function visible(ctx: Ctx, client: Client): SmartAccount[] {
  return client.accounts.map((d) => ctx.world.sas.get(d)).filter((x): x is SmartAccount => !!x);
}

const createVaBody = z.object({
  name: z.string().min(1),
  description: z.string().default(''),
  isDefault: z.union([z.boolean(), z.enum(['true', 'false'])]).default(false),
});

/** `licensing/v2/accounts/{domain}/devices` under the newer API base only (DOMAIN §2). */
export function handleSoftwareApis(ctx: Ctx): void {
  const client = bearerClient(ctx, 'cloud');
  if (!client) return;
  const s = segments(ctx.path, SOFTWARE_APIS_PREFIX);
  const [v, a, d, x, y] = s;
  if (
    v === 'licensing' &&
    a === 'v2' &&
    d === 'accounts' &&
    x &&
    y === 'devices' &&
    s.length === 5 &&
    ctx.method === 'GET'
  ) {
    listDevices(ctx, [...sa(ctx, client, x).vas.values()]);
    return;
  }
  cssmError(ctx, 404, `No such resource: ${ctx.method} ${ctx.path}`);
}

export function handleCloud(ctx: Ctx): void {
  const client = bearerClient(ctx, 'cloud');
  if (!client) return;
  const s = segments(ctx.path, CLOUD_PREFIX);
  const m = ctx.method;
  const [v, a, d, x, y, z2, w] = s;

  if (v === 'v2' && a === 'accounts' && s.length === 2 && m === 'GET') {
    json(ctx, 200, {
      status: 'SUCCESS',
      statusMessage: '',
      accounts: visible(ctx, client).map((acc) => ({
        accountName: acc.name,
        accountDomain: acc.domain,
        accountStatus: 'Active',
        accountType: acc.type,
        roles: [{ role: 'SA Admin' }],
      })),
    });
    return;
  }
  if (v === 'v1' && a === 'accounts' && d === 'search' && s.length === 3 && m === 'GET') {
    const domain = (ctx.query.get('domain') ?? '').toLowerCase();
    const type = ctx.query.get('type');
    const limit = Math.min(
      1000,
      intParam(ctx.query.get('limit') ?? undefined, DEFAULT_LIMIT, 'limit') || DEFAULT_LIMIT,
    );
    const offset = intParam(ctx.query.get('offset') ?? undefined, 0, 'offset');
    const hits = visible(ctx, client).filter(
      (acc) =>
        acc.domain.toLowerCase().includes(domain) && (!type || acc.type === type.toUpperCase()),
    );
    json(ctx, 200, {
      totalRecords: Math.min(hits.length, 1000),
      status: 'SUCCESS',
      statusMessage: '',
      accounts: hits.slice(offset, offset + limit).map((acc) => ({
        domain: acc.domain,
        name: acc.name,
        id: acc.id,
        type: acc.type,
        status: 'Active',
      })),
    });
    return;
  }
  if (v === 'v1' && a === 'accounts' && d !== undefined) {
    const acc = sa(ctx, client, d);
    // v1/accounts/{domain}/{CUSTOMER|HOLDING}/virtual-accounts; seen with lowercase too.
    const kind = x?.toUpperCase();
    if (
      (kind === 'CUSTOMER' || kind === 'HOLDING') &&
      y === 'virtual-accounts' &&
      s.length === 5 &&
      m === 'GET'
    ) {
      if (acc.type !== kind) throw new BadRequest(`Smart Account ${d} is not of type ${kind}`, 404);
      json(ctx, 200, {
        status: 'SUCCESS',
        statusMessage: '',
        virtualAccounts: [...acc.vas.values()].map((vv) => ({
          name: vv.name,
          description: vv.description,
          isDefault: vv.isDefault ? 'true' : 'false',
          commerceAccessLevel: vv.commerceAccessLevel,
        })),
      });
      return;
    }
    if (x === 'licenses' && s.length === 4 && m === 'POST') {
      listLicenses(ctx, [...acc.vas.values()]);
      return;
    }
    if (x === 'virtual-accounts') {
      if (s.length === 4 && m === 'POST') {
        const r = createVaBody.safeParse(parseJsonBody(ctx));
        if (!r.success)
          throw new BadRequest('Invalid request body: expected {name, description, isDefault}.');
        const created = ctx.world.createVa(
          acc,
          r.data.name,
          r.data.description,
          String(r.data.isDefault) === 'true',
        );
        json(
          ctx,
          201,
          {
            status: 'SUCCESS',
            statusMessage: '',
            virtualAccount: {
              name: created.name,
              description: created.description,
              isDefault: created.isDefault ? 'true' : 'false',
              commerceAccessLevel: created.commerceAccessLevel,
            },
          },
          EXTENSION,
        );
        return;
      }
      if (y === undefined) throw new BadRequest('Not found', 404);
      const pool = va(acc, y);
      if (s.length === 5 && m === 'DELETE') {
        ctx.world.deleteVa(pool);
        json(
          ctx,
          200,
          { status: 'SUCCESS', statusMessage: `Virtual Account ${y} deleted` },
          EXTENSION,
        );
        return;
      }
      if (z2 === 'tokens' && s.length === 6) {
        if (m === 'GET') return listTokens(ctx, pool);
        if (m === 'POST') return createToken(ctx, pool, client.name);
      }
      if (z2 === 'tokens' && w === 'revoke' && s.length === 7 && m === 'POST') {
        revokeTokens(ctx, pool);
        return;
      }
      if (z2 === 'licenses' && w === 'transfer' && s.length === 7 && m === 'POST') {
        transferLicenses(ctx, pool);
        return;
      }
    }
  }
  // v2/accounts/{domain}/virtual-accounts/{va}/devices/remove
  if (
    v === 'v2' &&
    a === 'accounts' &&
    d &&
    x === 'virtual-accounts' &&
    y &&
    z2 === 'devices' &&
    w === 'remove' &&
    s.length === 7 &&
    m === 'POST'
  ) {
    removeDevices(ctx, va(sa(ctx, client, d), y));
    return;
  }
  // [design] v1/satellites/{name}/sync-file: the cloud side of a disconnected sync.
  if (
    v === 'v1' &&
    a === 'satellites' &&
    d &&
    x === 'sync-file' &&
    s.length === 4 &&
    m === 'POST'
  ) {
    const file = parseJsonBody(ctx) as SyncRequestFile;
    if (file?.format !== 'smartlic-emulator-sync-request/1' || !Array.isArray(file.accounts)) {
      throw new BadRequest('Not a satellite synchronization request file.');
    }
    if (file.satellite !== d)
      throw new BadRequest(`The file was exported by ${file.satellite}, not ${d}.`);
    const sat = ctx.world.satellites.get(d);
    if (!sat) throw new BadRequest(`Unknown satellite: ${d}`, 404);
    for (const la of sat.localAccounts.values()) {
      if (!client.accounts.includes(la.saDomain)) {
        throw new BadRequest(`User does not have access to Smart Account ${la.saDomain}`, 403);
      }
    }
    json(ctx, 200, ctx.world.importSyncRequest(file), EXTENSION);
    return;
  }
  cssmError(ctx, 404, `No such resource: ${m} ${ctx.path}`);
}
