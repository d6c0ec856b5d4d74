/**
 * CSSM On-Prem (satellite) API under `/backend/api/v1/` (DOMAIN §3): paths mirror the cloud
 * v1 paths keyed by local account name. A token belongs to one local account. The satellite
 * serves the entitlements of its last sync. Extensions ([design]): `satellite` status, sync
 * now, sync mode, and the request/answer files of a disconnected sync.
 */
import { z } from 'zod';
import type { Client, LocalAccount, Satellite } from '../model/types.ts';
import type { SyncAnswerFile } from '../model/satellite-sync.ts';
import {
  BadRequest,
  EXTENSION,
  cssmError,
  json,
  parseJsonBody,
  segments,
  type Ctx,
} from '../http/context.ts';
import { bearerClient } from './oauth.ts';
import {
  createToken,
  listDevices,
  listLicenses,
  listTokens,
  removeDevices,
  revokeTokens,
} from './accounts.ts';

export const ONPREM_PREFIX = '/backend/api/v1/';

function la(ctx: Ctx, client: Client, name: string): LocalAccount {
  const acc = ctx.world.localAccounts.get(name);
  if (!acc) throw new BadRequest(`Local Account not found: ${name}`, 404);
  if (client.localAccount !== name) {
    throw new BadRequest(`The API client has no access to local account ${name}`, 403);
  }
  return acc;
}

function vaOf(acc: LocalAccount, name: string | undefined): LocalAccount {
  if (name !== acc.vaName) throw new BadRequest(`Virtual Account not found: ${name ?? ''}`, 404);
  return acc;
}

const modeBody = z.object({
  mode: z.enum(['connected', 'disconnected']),
  schedule: z.enum(['daily', 'weekly', 'monthly']).optional(),
});

export function handleOnprem(ctx: Ctx): void {
  const client = bearerClient(ctx, 'onprem');
  if (!client) return;
  const s = segments(ctx.path, ONPREM_PREFIX);
  const m = ctx.method;
  const own = ctx.world.localAccounts.get(client.localAccount ?? '');
  if (!own) throw new BadRequest('The API client lost its local account.', 403);
  const sat = own.satellite;

  if (s[0] === 'satellite') {
    if (s.length === 1 && m === 'GET') {
      json(
        ctx,
        200,
        { status: 'SUCCESS', statusMessage: '', satellite: ctx.world.satelliteStatus(sat) },
        EXTENSION,
      );
      return;
    }
    if (s[1] === 'sync' && s.length === 2 && m === 'POST') {
      ctx.world.syncNow(sat);
      satelliteAnswer(ctx, sat, 'Synchronized');
      return;
    }
    if (s[1] === 'sync-mode' && s.length === 2 && m === 'POST') {
      const r = modeBody.safeParse(parseJsonBody(ctx));
      if (!r.success) throw new BadRequest('Invalid request body: expected {mode, schedule}.');
      ctx.world.setSyncMode(sat, r.data.mode, r.data.schedule);
      satelliteAnswer(ctx, sat, '');
      return;
    }
    if (s[1] === 'sync-file' && s[2] === 'export' && s.length === 3 && m === 'POST') {
      json(ctx, 200, ctx.world.exportSyncFile(sat), EXTENSION);
      return;
    }
    if (s[1] === 'sync-file' && s[2] === 'import' && s.length === 3 && m === 'POST') {
      const file = parseJsonBody(ctx) as SyncAnswerFile;
      if (file?.format !== 'smartlic-emulator-sync-answer/1' || !Array.isArray(file.accounts)) {
        throw new BadRequest('Not a satellite synchronization answer file.');
      }
      ctx.world.importSyncAnswer(sat, file);
      satelliteAnswer(ctx, sat, 'Answer file imported');
      return;
    }
  }
  if (s[0] === 'accounts' && s.length === 1 && m === 'GET') {
    json(ctx, 200, {
      status: 'SUCCESS',
      statusMessage: '',
      accounts: [
        {
          accountName: own.name,
          accountDomain: own.name,
          accountStatus: 'Active',
          accountType: 'LOCAL',
          lastSync: ctx.world.satelliteStatus(sat).lastSync,
        },
      ],
    });
    return;
  }
  if (s[0] === 'accounts' && s[1] !== undefined) {
    const acc = la(ctx, client, s[1]);
    const [, , x, y, z2, w] = s;
    // virtual-accounts, with or without the {CUSTOMER|HOLDING} segment of the cloud path
    const vaList =
      (x === 'virtual-accounts' && s.length === 3) ||
      ((x === 'CUSTOMER' || x === 'HOLDING') && y === 'virtual-accounts' && s.length === 4);
    if (vaList && m === 'GET') {
      json(ctx, 200, {
        status: 'SUCCESS',
        statusMessage: '',
        virtualAccounts: [
          {
            name: acc.vaName,
            description: `Mapped to ${acc.saDomain}/${acc.vaName}`,
            isDefault: 'true',
            commerceAccessLevel: 'FULL',
          },
        ],
      });
      return;
    }
    if (x === 'licenses' && s.length === 3 && m === 'POST') return listLicenses(ctx, [acc]);
    if (x === 'devices' && s.length === 3 && m === 'GET') return listDevices(ctx, [acc]);
    if (x === 'virtual-accounts' && y !== undefined) {
      const pool = vaOf(acc, y);
      if (z2 === 'tokens' && s.length === 5) {
        if (m === 'GET') return listTokens(ctx, pool);
        if (m === 'POST') return createToken(ctx, pool, client.name);
      }
      if (z2 === 'tokens' && w === 'revoke' && s.length === 6 && m === 'POST')
        return revokeTokens(ctx, pool);
      if (z2 === 'devices' && w === 'remove' && s.length === 6 && m === 'POST')
        return removeDevices(ctx, pool);
    }
  }
  if (
    s[0] === 'licensing' &&
    s[1] === 'v2' &&
    s[2] === 'accounts' &&
    s[3] &&
    s[4] === 'devices' &&
    s.length === 5 &&
    m === 'GET'
  ) {
    listDevices(ctx, [la(ctx, client, s[3])]);
    return;
  }
  cssmError(ctx, 404, `No such resource: ${m} ${ctx.path}`);
}

/** A satellite operation's success [ext]: Cisco's envelope and the satellite's state after it. */
function satelliteAnswer(ctx: Ctx, sat: Satellite, statusMessage: string): void {
  json(
    ctx,
    200,
    { status: 'SUCCESS', statusMessage, satellite: ctx.world.satelliteStatus(sat) },
    EXTENSION,
  );
}
