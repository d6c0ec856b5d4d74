/**
 * The account-level operations the cloud and On-Prem APIs share (licenses, tokens, devices),
 * on a list of pools (cloud VAs, or the one VA of a local account). Shapes as DOMAIN §2.
 */
import { z } from 'zod';
import { findLicenseType } from '../../core/domain/catalog.ts';
import type { Pool, RegToken, VirtualAccount } from '../model/types.ts';
import { iso } from '../util/time.ts';
import { BadRequest, intParam, json, parseJsonBody, type Ctx } from '../http/context.ts';

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 1000;

export function vaNameOf(p: Pool): string {
  return p.kind === 'va' ? p.name : p.vaName;
}

const licensesBody = z
  .object({
    virtualAccounts: z.array(z.string()).optional(),
    limit: z.union([z.number(), z.string()]).optional(),
    offset: z.union([z.number(), z.string()]).optional(),
  })
  .passthrough();

function pageOf(
  ctx: Ctx,
  body: { limit?: unknown; offset?: unknown },
): { limit: number; offset: number } {
  const limit = Math.min(
    MAX_LIMIT,
    intParam(body.limit ?? ctx.query.get('limit') ?? undefined, DEFAULT_LIMIT, 'limit'),
  );
  const offset = intParam(body.offset ?? ctx.query.get('offset') ?? undefined, 0, 'offset');
  return { limit: limit === 0 ? DEFAULT_LIMIT : limit, offset };
}

/** `POST …/licenses`: records of the named pools (all when the list is empty), paged. */
export function listLicenses(ctx: Ctx, all: Pool[]): void {
  const parsed = licensesBody.safeParse(parseJsonBody(ctx));
  if (!parsed.success)
    throw new BadRequest('Invalid request body: expected {virtualAccounts, limit, offset}.');
  const b = parsed.data;
  const { limit, offset } = pageOf(ctx, b);
  let pools = all;
  if (b.virtualAccounts && b.virtualAccounts.length > 0) {
    pools = b.virtualAccounts.map((name) => {
      const p = all.find((x) => vaNameOf(x) === name);
      if (!p) throw new BadRequest(`Virtual Account not found: ${name}`, 404);
      return p;
    });
  }
  const records = [];
  for (const p of pools) records.push(...ctx.world.allocOf(p).records);
  json(ctx, 200, {
    totalRecords: records.length,
    status: 'SUCCESS',
    statusMessage: '',
    licenses: records.slice(offset, offset + limit),
  });
}

export function tokenView(ctx: Ctx, t: RegToken) {
  return {
    token: t.token,
    description: t.description,
    creationDate: iso(t.createdAt),
    expirationDate: iso(t.expiresAt),
    exportControlled: t.exportControlled ? 'Allowed' : 'Not Allowed',
    createdBy: t.createdBy,
    status: ctx.world.tokenStatus(t),
    virtualAccount: vaNameOf(t.pool),
  };
}

export function listTokens(ctx: Ctx, pool: Pool): void {
  json(ctx, 200, {
    status: 'SUCCESS',
    statusMessage: '',
    tokens: [...pool.tokens.values()].map((t) => tokenView(ctx, t)),
  });
}

const numberish = z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]);
const createTokenBody = z.object({
  description: z.string().default(''),
  expiresAfterDays: numberish.default(30),
  exportControlled: z
    .union([z.enum(['Allowed', 'Not Allowed', 'allowed', 'not allowed']), z.boolean()])
    .default('Not Allowed'),
});

export function createToken(ctx: Ctx, pool: Pool, createdBy: string): void {
  const r = createTokenBody.safeParse(parseJsonBody(ctx));
  if (!r.success) {
    throw new BadRequest(
      'Invalid request body: expected {description, expiresAfterDays, exportControlled}.',
    );
  }
  const days = r.data.expiresAfterDays;
  if (!Number.isInteger(days) || days < 1 || days > 365) {
    throw new BadRequest('expiresAfterDays must be between 1 and 365.');
  }
  const ec = r.data.exportControlled;
  const tok = ctx.world.mintToken(pool, {
    description: r.data.description,
    expiresAfterDays: days,
    exportControlled: typeof ec === 'boolean' ? ec : ec.toLowerCase() === 'allowed',
    createdBy,
  });
  json(ctx, 200, { status: 'SUCCESS', statusMessage: '', tokenInfo: tokenView(ctx, tok) });
}

const revokeBody = z.object({
  tokens: z.array(z.object({ token: z.string(), reason: z.string().optional() })).min(1),
});

/** [design — not confirmed by Cisco] `POST …/tokens/revoke`; all or nothing. */
export function revokeTokens(ctx: Ctx, pool: Pool): void {
  const r = revokeBody.safeParse(parseJsonBody(ctx));
  if (!r.success)
    throw new BadRequest('Invalid request body: expected {tokens:[{token, reason}]}.');
  const results = r.data.tokens.map((t) => {
    const tok = pool.tokens.get(t.token);
    return { t, tok };
  });
  const missing = results.filter((x) => !x.tok);
  if (missing.length > 0) {
    json(ctx, 404, {
      status: 'ERROR',
      statusMessage: `Token not found in ${vaNameOf(pool)}: ${missing.length} of ${results.length}`,
      tokens: results.map((x) => ({
        token: x.t.token,
        status: x.tok ? 'NOT_PROCESSED' : 'ERROR',
        statusMessage: x.tok ? '' : 'Token not found',
      })),
    });
    return;
  }
  for (const x of results) {
    x.tok!.revoked = true;
    if (x.t.reason !== undefined) x.tok!.revokeReason = x.t.reason;
  }
  json(ctx, 200, {
    status: 'SUCCESS',
    statusMessage: '',
    tokens: results.map((x) => ({ token: x.t.token, status: 'REVOKED', statusMessage: '' })),
  });
}

/** `GET …/devices?virtualAccountName=&instanceName=&limit=&offset=` (also `startIdx`/`rowsPerPage`). */
export function listDevices(ctx: Ctx, all: Pool[]): void {
  const vaName = ctx.query.get('virtualAccountName');
  let pools = all;
  if (vaName) {
    const p = all.find((x) => vaNameOf(x) === vaName);
    if (!p) throw new BadRequest(`Virtual Account not found: ${vaName}`, 404);
    pools = [p];
  }
  const instanceName = ctx.query.get('instanceName');
  const devices = pools
    .flatMap((p) => ctx.world.devicesOf(p))
    .filter((dv) => !instanceName || dv.instanceName === instanceName);
  const newStyle = ctx.query.has('startIdx') || ctx.query.has('rowsPerPage');
  const offset = intParam(
    ctx.query.get('offset') ?? ctx.query.get('startIdx') ?? undefined,
    0,
    'offset',
  );
  const limit = Math.min(
    MAX_LIMIT,
    intParam(
      ctx.query.get('limit') ?? ctx.query.get('rowsPerPage') ?? undefined,
      DEFAULT_LIMIT,
      'limit',
    ) || DEFAULT_LIMIT,
  );
  const page = devices.slice(offset, offset + limit);
  json(ctx, 200, {
    status: 'SUCCESS',
    statusMessage: '',
    totalRecords: devices.length,
    devices: page,
    ...(newStyle ? { data: page, totalRows: devices.length } : {}),
  });
}

const sudi = z.object({ udiPid: z.string(), udiSerialNumber: z.string() }).passthrough();
const removeItem = z.object({ sudi, productTagName: z.string().optional() }).passthrough();
const removeBody = z
  .object({
    // The key is misspelled so in Cisco's own script [code]; the right spelling works too.
    productInstacesRemoveRequests: z.array(removeItem).optional(),
    productInstancesRemoveRequests: z.array(removeItem).optional(),
  })
  .passthrough();

export function removeDevices(ctx: Ctx, pool: Pool): void {
  const r = removeBody.safeParse(parseJsonBody(ctx));
  const items = r.success
    ? (r.data.productInstacesRemoveRequests ?? r.data.productInstancesRemoveRequests)
    : undefined;
  if (!items || items.length === 0) {
    throw new BadRequest(
      'Invalid request body: expected {productInstacesRemoveRequests:[{sudi, productTagName}]}.',
    );
  }
  const known = items.map((it) =>
    [...pool.products].some(
      (c) =>
        c.udi.pid === it.sudi.udiPid &&
        c.udi.sn.toLowerCase() === it.sudi.udiSerialNumber.toLowerCase(),
    ),
  );
  const results = items.map((it, i) => ({
    udiPid: it.sudi.udiPid,
    udiSerialNumber: it.sudi.udiSerialNumber,
    status: known[i] ? 'SUCCESS' : 'ERROR',
    statusMessage: known[i]
      ? 'Product instance removed'
      : 'Product instance not found in this Virtual Account',
  }));
  if (known.some((k) => !k)) {
    json(ctx, 404, {
      status: 'ERROR',
      statusMessage: 'Some product instances were not found; nothing removed.',
      results,
    });
    return;
  }
  for (const it of items) ctx.world.removeDevice(pool, it.sudi.udiPid, it.sudi.udiSerialNumber);
  json(ctx, 200, { status: 'SUCCESS', statusMessage: '', results });
}

const transferBody = z.object({
  licenses: z
    .array(
      z.object({
        license: z.string(),
        licenseType: z.string().default('TERM'),
        quantity: numberish,
        targetVirtualAccount: z.string(),
      }),
    )
    .min(1),
});

export function transferLicenses(ctx: Ctx, va: VirtualAccount): void {
  const r = transferBody.safeParse(parseJsonBody(ctx));
  if (!r.success) {
    throw new BadRequest(
      'Invalid request body: expected {licenses:[{license, licenseType, quantity, targetVirtualAccount}]}.',
    );
  }
  for (const l of r.data.licenses) {
    if (!findLicenseType(l.license)) throw new BadRequest(`Unknown license: ${l.license}`);
  }
  const done = ctx.world.transfer(va, r.data.licenses);
  json(ctx, 200, { status: 'SUCCESS', statusMessage: '', licenses: done });
}
