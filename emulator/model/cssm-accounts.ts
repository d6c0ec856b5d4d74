/**
 * CSSM's accounts as the emulated world keeps them: virtual accounts, their licenses and
 * transfers, registration tokens, and the OAuth access tokens of API clients.
 */
import { findLicenseType, licenseType, type LicenseTypeId } from '../../core/domain/catalog.ts';
import { DAY, parseTime } from '../util/time.ts';
import { OAUTH_TOKEN_SECONDS } from './timers.ts';
import type { Client, Pool, RegToken, SmartAccount, VirtualAccount } from './types.ts';
import type { World } from './world.ts';
import { WorldError } from './world-error.ts';

/** Cisco's own transfer script splits quantities into chunks of at most 998 [code]. */
export const MAX_TRANSFER_QUANTITY = 998;

export function newVa(
  sa: SmartAccount,
  name: string,
  description: string,
  isDefault: boolean,
  ext: boolean,
): VirtualAccount {
  const va: VirtualAccount = {
    kind: 'va',
    key: `cloud:${sa.domain}/${name}`,
    sa,
    name,
    description,
    isDefault,
    commerceAccessLevel: 'FULL',
    role: 'customer',
    licenseMode: null,
    licenses: [],
    satelliteUsage: new Map(),
    products: new Set(),
    tokens: new Map(),
    alloc: null,
    createdByExtension: ext,
  };
  sa.vas.set(name, va);
  return va;
}

export function addToken(
  w: World,
  pool: Pool,
  t: {
    token: string;
    description: string;
    createdAt: string;
    expiresAt: string;
    exportControlled: boolean;
    createdBy: string;
    revoked: boolean;
  },
): void {
  const tok: RegToken = {
    token: t.token,
    description: t.description,
    createdAt: parseTime(t.createdAt),
    expiresAt: parseTime(t.expiresAt),
    exportControlled: t.exportControlled,
    createdBy: t.createdBy,
    revoked: t.revoked,
    pool,
  };
  pool.tokens.set(tok.token, tok);
  w.tokens.set(tok.token, tok);
}

export function mintToken(
  w: World,
  pool: Pool,
  p: {
    description: string;
    expiresAfterDays: number;
    exportControlled: boolean;
    createdBy: string;
  },
): RegToken {
  const now = w.now();
  const raw = `${w.rng.uuid()}-${now}|${w.rng.alnum(44)}`;
  const b64 = Buffer.from(raw).toString('base64');
  const chunks = b64.match(/.{1,60}/g) ?? [b64];
  const token = chunks.map((s) => encodeURIComponent(s)).join('%0A') + '%0A';
  const tok: RegToken = {
    token,
    description: p.description,
    createdAt: now,
    expiresAt: now + p.expiresAfterDays * DAY,
    exportControlled: p.exportControlled,
    createdBy: p.createdBy,
    revoked: false,
    pool,
  };
  pool.tokens.set(token, tok);
  w.tokens.set(token, tok);
  return tok;
}

export function tokenStatus(t: RegToken, now: number): 'ACTIVE' | 'EXPIRED' | 'REVOKED' {
  return t.revoked ? 'REVOKED' : now >= t.expiresAt ? 'EXPIRED' : 'ACTIVE';
}

export function transfer(
  w: World,
  from: VirtualAccount,
  items: {
    license: string;
    licenseType: string;
    quantity: number;
    targetVirtualAccount: string;
  }[],
): {
  license: string;
  quantity: number;
  targetVirtualAccount: string;
  status: string;
  statusMessage: string;
}[] {
  // Validate every line before moving anything: a transfer is all or nothing. Each refusal
  // is its own answer in CSSM's error envelope ({status:"ERROR", statusMessage}, DOMAIN §2);
  // CSSM's exact wording and HTTP status per refusal are not public [design].
  const plan = items.map((it) => {
    const lt = findLicenseType(it.license);
    if (!lt) throw new WorldError(400, `Unknown license: ${it.license}`);
    const kind = it.licenseType.toUpperCase();
    if (kind !== 'TERM' && kind !== 'PERPETUAL') {
      throw new WorldError(
        400,
        `Invalid licenseType ${it.licenseType} for ${lt.displayName}: expected TERM or PERPETUAL.`,
      );
    }
    const target = from.sa.vas.get(it.targetVirtualAccount);
    if (!target) {
      // The path names the Smart Account: a VA of another one is not found in it, as in
      // CSSM, where licenses move only between virtual accounts of one Smart Account.
      const elsewhere = [...w.sas.values()].some(
        (sa) => sa !== from.sa && sa.vas.has(it.targetVirtualAccount),
      );
      throw new WorldError(
        404,
        elsewhere
          ? `Virtual Account ${it.targetVirtualAccount} is not in Smart Account ${from.sa.domain}: licenses move only between virtual accounts of one Smart Account.`
          : `Virtual Account not found: ${it.targetVirtualAccount}`,
      );
    }
    if (target === from)
      throw new WorldError(400, 'Source and target Virtual Account are the same.');
    if (!Number.isInteger(it.quantity) || it.quantity < 1) {
      throw new WorldError(400, `Invalid quantity ${it.quantity} for ${lt.displayName}`);
    }
    if (it.quantity > MAX_TRANSFER_QUANTITY) {
      throw new WorldError(
        400,
        `Quantity ${it.quantity} exceeds the maximum of ${MAX_TRANSFER_QUANTITY} per transfer line.`,
      );
    }
    return { lt, target, quantity: it.quantity, licenseType: kind };
  });
  const need = new Map<string, number>();
  for (const p of plan) {
    const k = `${p.lt.id}|${p.licenseType}`;
    need.set(k, (need.get(k) ?? 0) + p.quantity);
  }
  const alloc = w.allocOf(from);
  for (const [k, q] of need) {
    const [type, kind] = k.split('|') as [LicenseTypeId, string];
    const lineTotal = from.licenses
      .filter((l) => l.type === type && l.licenseType === kind)
      .reduce((s, l) => s + l.quantity, 0);
    const rec = alloc.result.licenses.find((l) => l.type === type);
    const available = rec ? rec.available : 0;
    if (q > Math.min(lineTotal, available)) {
      throw new WorldError(
        400,
        `Insufficient ${kind} licenses of ${licenseType(type).displayName} available in ${from.name}: requested ${q}, available ${Math.min(lineTotal, available)}.`,
      );
    }
  }
  for (const p of plan) {
    let rest = p.quantity;
    for (const l of from.licenses) {
      if (rest === 0) break;
      if (l.type !== p.lt.id || l.licenseType !== p.licenseType || l.quantity === 0) continue;
      const take = Math.min(rest, l.quantity);
      l.quantity -= take;
      rest -= take;
      const same = p.target.licenses.find(
        (x) =>
          x.type === l.type &&
          x.licenseType === l.licenseType &&
          x.subscriptionId === l.subscriptionId &&
          x.endDate === l.endDate,
      );
      if (same) same.quantity += take;
      else p.target.licenses.push({ ...l, id: w.nextLineId(), quantity: take });
    }
    from.licenses = from.licenses.filter((l) => l.quantity > 0);
    w.invalidate(p.target);
  }
  w.invalidate(from);
  w.settle(w.now());
  return plan.map((p) => ({
    license: p.lt.displayName,
    quantity: p.quantity,
    targetVirtualAccount: p.target.name,
    status: 'SUCCESS',
    statusMessage: `${p.quantity} ${p.lt.displayName} transferred to ${p.target.name}`,
  }));
}

export function createVa(
  sa: SmartAccount,
  name: string,
  description: string,
  isDefault: boolean,
): VirtualAccount {
  if (sa.vas.has(name)) throw new WorldError(409, `Virtual Account already exists: ${name}`);
  if (isDefault) for (const v of sa.vas.values()) v.isDefault = false;
  return newVa(sa, name, description, isDefault, true);
}

export function deleteVa(w: World, va: VirtualAccount): void {
  if (va.products.size > 0 || va.satelliteUsage.size > 0) {
    throw new WorldError(
      409,
      `Virtual Account ${va.name} has product instances; remove them first.`,
    );
  }
  if (va.licenses.some((l) => l.quantity > 0)) {
    throw new WorldError(409, `Virtual Account ${va.name} holds licenses; transfer them first.`);
  }
  for (const la of w.localAccounts.values()) {
    if (la.saDomain === va.sa.domain && la.vaName === va.name) {
      throw new WorldError(
        409,
        `Virtual Account ${va.name} is mapped to local account ${la.name}.`,
      );
    }
  }
  for (const t of va.tokens.keys()) w.tokens.delete(t);
  va.sa.vas.delete(va.name);
}

export function issueAccessToken(
  w: World,
  client: Client,
): {
  access_token: string;
  token_type: string;
  expires_in: number;
} {
  const now = w.now();
  if (w.accessTokens.size > 50_000) {
    for (const [k, v] of w.accessTokens) if (v.expiresAt <= now) w.accessTokens.delete(k);
  }
  const token = `${client.kind === 'cloud' ? 'cssm' : 'onprem'}_${w.rng.alnum(40)}`;
  w.accessTokens.set(token, { client, expiresAt: now + OAUTH_TOKEN_SECONDS * 1000 });
  return { access_token: token, token_type: 'Bearer', expires_in: OAUTH_TOKEN_SECONDS };
}
