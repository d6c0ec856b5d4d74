/**
 * The UC clusters' smart agents as CSSM and the products see them: their timers running on
 * the simulated clock, their lifecycle state, the product instances CSSM lists, and what an
 * operator does on the product (register, renew, deregister, transport, license mode).
 */
import type { LicenseTypeId } from '../../core/domain/catalog.ts';
import {
  deriveLifecycle,
  type LifecycleState,
  type ProductHistory,
} from '../../core/domain/lifecycle.ts';
import { licensingModelFor, tryParseUcVersion } from '../../core/domain/versions.ts';
import { iso } from '../util/time.ts';
import { counts } from './allocation-view.ts';
import { AUTH_RENEWAL_MS, ID_RENEWAL_MS, RETRY_MS, regExpiry } from './timers.ts';
import type { Cluster, DeviceView, LicenseMode, Pool, Registration, Satellite } from './types.ts';
import type { World } from './world.ts';
import { WorldError } from './world-error.ts';

/** The smart agent's text when it cannot reach its licensing server [sample]. */
export const COMM_FAILURE = 'Fail to send out Call Home HTTP message.';

const PRODUCT_TAG = {
  CUCM: 'regid.2016-07.com.cisco.UCM,12.0_0b5e8c4a-1f39-4a52-9b3d-5c2f63a1c0a1',
  CUC: 'regid.2016-07.com.cisco.CUC,12.0_0b5e8c4a-1f39-4a52-9b3d-5c2f63a1c0a2',
  CER: 'regid.2016-07.com.cisco.CER,12.0_0b5e8c4a-1f39-4a52-9b3d-5c2f63a1c0a3',
} as const;
const PRODUCT_DESCRIPTION = {
  CUCM: 'Cisco Unified Communications Manager',
  CUC: 'Cisco Unity Connection',
  CER: 'Cisco Emergency Responder',
} as const;

export type RegisterOutcome =
  | { ok: true }
  | { ok: false; kind: 'plm' | 'already' | 'token' | 'transport' | 'comm'; message: string };

/** Runs every product's renewals and ID certificate expiry due up to `t`; returns how many ran. */
export function stepProducts(w: World, t: number): number {
  let n = 0;
  for (const c of w.clusters.values()) {
    const r = c.registration;
    if (!r || r.expired) continue;
    for (;;) {
      const expiry = regExpiry(r);
      const next = Math.min(r.nextAuthAttemptAt, r.nextIdAttemptAt, expiry);
      if (next > t) break;
      n++;
      if (next === expiry) {
        r.expired = true;
        w.markDirty(r.pool);
        break;
      }
      recordRenewal(
        r,
        next === r.nextIdAttemptAt ? 'id' : 'auth',
        next,
        reachFailure(w, c, r.pool),
      );
    }
  }
  return n;
}

/**
 * One renewal attempt of a registration at `at` — of its authorization or of its ID
 * certificate — and when the next one is due: the regular interval after a success, a day
 * after a failure.
 */
function recordRenewal(
  r: Registration,
  what: 'auth' | 'id',
  at: number,
  fail: string | null,
): void {
  const status = fail ? 'FAILED' : 'SUCCEEDED';
  if (what === 'id') {
    r.lastIdAttemptAt = at;
    r.lastIdStatus = status;
    r.lastIdFailReason = fail ?? undefined;
    if (!fail) r.lastIdRenewalAt = at;
    r.nextIdAttemptAt = at + (fail ? RETRY_MS : ID_RENEWAL_MS);
  } else {
    r.lastAuthAttemptAt = at;
    r.lastAuthStatus = status;
    r.lastAuthFailReason = fail ?? undefined;
    if (!fail) r.lastAuthSuccessAt = at;
    r.nextAuthAttemptAt = at + (fail ? RETRY_MS : AUTH_RENEWAL_MS);
  }
}

/** Why a product cannot reach its licensing server now, or null when it can. */
export function reachFailure(w: World, c: Cluster, pool: Pool): string | null {
  if (c.cutoff || w.faultCutoff.has(c.name)) return COMM_FAILURE;
  if (pool.kind === 'va' ? w.unreachable.cloud : w.unreachable.satellite) return COMM_FAILURE;
  return null;
}

export function lifecycle(w: World, c: Cluster, now = w.now()): LifecycleState {
  const r = c.registration;
  const h: ProductHistory = {
    installedAt: new Date(c.installedAt),
    licensesInUse: Object.values(c.demand).some((n) => (n ?? 0) > 0),
    appType: c.type,
  };
  if (r) {
    h.registeredAt = new Date(r.registeredAt);
    if (r.lastAuthSuccessAt !== undefined)
      h.lastAuthorizationSuccessAt = new Date(r.lastAuthSuccessAt);
    if (r.lastIdRenewalAt !== undefined) h.lastIdRenewalAt = new Date(r.lastIdRenewalAt);
    if (counts(c)) {
      w.allocOf(r.pool);
      if (c.outOfComplianceSince !== undefined) {
        h.outOfComplianceSince = new Date(c.outOfComplianceSince);
      }
    }
  } else if (c.deregisteredAt !== undefined && c.lastRegisteredAt !== undefined) {
    h.registeredAt = new Date(c.lastRegisteredAt);
    h.deregisteredAt = new Date(c.deregisteredAt);
  }
  return deriveLifecycle(h, new Date(now));
}

/** Served / requested per demand line, for the product's own entitlement status. */
export function servedOf(w: World, c: Cluster, requestId: string): number {
  const r = c.registration;
  if (!r || !counts(c)) return 0;
  return w.allocOf(r.pool).served.get(requestId) ?? 0;
}

export function satelliteForUrl(w: World, url: string | null): Satellite | undefined {
  if (!url) return undefined;
  for (const s of w.satellites.values()) {
    if (url.includes(`//${s.host}`) || url.includes(`/satellite/${s.name}/`)) return s;
  }
  return undefined;
}

export function register(w: World, c: Cluster, tokenText: string, force: boolean): RegisterOutcome {
  const now = w.now();
  if (licensingModelFor(c.version) === 'PLM') {
    return { ok: false, kind: 'plm', message: 'PLM' };
  }
  if (c.registration && !c.registration.expired && !force) {
    return {
      ok: false,
      kind: 'already',
      message: "Product is already registered. To register again use the 'force' option.",
    };
  }
  const fail = (kind: 'token' | 'transport' | 'comm', message: string): RegisterOutcome => {
    c.lastRegistrationAttempt = { at: now, status: 'FAILED', reason: message };
    return { ok: false, kind, message };
  };
  const tok = w.tokens.get(tokenText.trim());
  const viaSatellite = c.transport.mode === 1;
  const sat = viaSatellite ? satelliteForUrl(w, c.transport.url) : undefined;
  if (viaSatellite && !sat) {
    return fail(
      'transport',
      `${COMM_FAILURE} No satellite answers at ${c.transport.url ?? '(no URL)'}.`,
    );
  }
  const tokenOk =
    tok &&
    !tok.revoked &&
    now < tok.expiresAt &&
    (viaSatellite ? tok.pool.kind === 'la' && tok.pool.satellite === sat : tok.pool.kind === 'va');
  if (!tok || !tokenOk) {
    return fail(
      'token',
      'INVALID_PARAMETER: The ID token is invalid or expired. Please use a valid token or create a new one in the Virtual Account.',
    );
  }
  const comm = reachFailure(w, c, tok.pool);
  if (comm) return fail('comm', comm);
  if (c.registration) {
    c.registration.pool.products.delete(c);
    w.invalidate(c.registration.pool);
  }
  const reg: Registration = {
    pool: tok.pool,
    udi: c.udi,
    exportControlled: tok.exportControlled,
    registeredAt: now,
    lastAuthSuccessAt: now,
    lastIdRenewalAt: now,
    lastAuthAttemptAt: now,
    lastAuthStatus: 'SUCCEEDED',
    lastAuthFailReason: undefined,
    lastIdAttemptAt: now,
    lastIdStatus: 'SUCCEEDED',
    lastIdFailReason: undefined,
    nextAuthAttemptAt: now + AUTH_RENEWAL_MS,
    nextIdAttemptAt: now + ID_RENEWAL_MS,
    expired: false,
  };
  c.registration = reg;
  c.deregisteredAt = undefined;
  c.outOfComplianceSince = undefined;
  c.lastRegistrationAttempt = { at: now, status: 'SUCCEEDED', reason: 'Successful.' };
  tok.pool.products.add(c);
  w.invalidate(tok.pool);
  w.settle(now);
  return { ok: true };
}

/** Deregisters locally and tells the server when it can (CSSM drops the device either way). */
export function deregister(w: World, c: Cluster): void {
  const now = w.now();
  const r = c.registration;
  if (!r) return;
  r.pool.products.delete(c);
  w.invalidate(r.pool);
  c.registration = null;
  c.lastRegisteredAt = r.registeredAt;
  c.deregisteredAt = now;
  c.outOfComplianceSince = undefined;
  w.settle(now);
}

/**
 * "Renew authorization now" (`auth`) or "renew registration now" (`id`) on the product:
 * null when it reached its licensing server, else why not.
 */
export function renewNow(w: World, c: Cluster, what: 'auth' | 'id'): string | null {
  const r = c.registration;
  if (!r || r.expired) return 'Product is not registered.';
  const now = w.now();
  const fail = reachFailure(w, c, r.pool);
  recordRenewal(r, what, now, fail);
  w.settle(now);
  return fail;
}

/** The product refuses a new transport while registered (CAA1041). */
export function setTransport(
  c: Cluster,
  t: {
    mode: 0 | 1 | 2;
    url?: string | null;
    proxyHost?: string | null;
    proxyPort?: number | null;
  },
): void {
  if (c.registration && !c.registration.expired) {
    throw new WorldError(
      400,
      'Transport settings cannot be changed while the product is registered. Deregister the product first.',
      'CAA1041',
    );
  }
  c.transport = {
    mode: t.mode,
    url: t.url ?? null,
    proxyHost: t.proxyHost ?? null,
    proxyPort: t.proxyPort ?? null,
  };
}

export function setLicenseMode(w: World, c: Cluster, mode: LicenseMode): void {
  c.licenseMode = mode;
  if (c.registration) w.invalidate(c.registration.pool);
  w.settle(w.now());
}

/** Operator-side change of a cluster (admin API): demand, version, cut-off. */
export function patchCluster(
  w: World,
  c: Cluster,
  p: { demand?: Partial<Record<LicenseTypeId, number>>; version?: string; cutoff?: boolean },
): void {
  if (p.demand) {
    for (const [k, v] of Object.entries(p.demand) as [LicenseTypeId, number][]) c.demand[k] = v;
  }
  if (p.version !== undefined) {
    const v = tryParseUcVersion(p.version);
    if (!v.ok) throw new WorldError(400, v.error.message);
    c.version = p.version;
    c.major = v.version.major;
  }
  if (p.cutoff !== undefined) c.cutoff = p.cutoff;
  if (c.registration) w.invalidate(c.registration.pool);
  w.settle(w.now());
}

export function devicesOf(w: World, pool: Pool): DeviceView[] {
  const out: DeviceView[] = [];
  for (const c of pool.products) out.push(deviceView(w, c));
  if (pool.kind === 'va') for (const u of pool.satelliteUsage.values()) out.push(...u.devices);
  return out;
}

export function deviceView(w: World, c: Cluster): DeviceView {
  const r = c.registration!;
  const lc = lifecycle(w, c);
  const pool = r.pool;
  return {
    instanceName: c.nodes.find((n) => n.role === 'publisher')?.name ?? c.name,
    productTagName: PRODUCT_TAG[c.type],
    productDescription: PRODUCT_DESCRIPTION[c.type],
    sudi: { udiPid: r.udi.pid, udiSerialNumber: r.udi.sn, uuid: r.udi.uuid },
    virtualAccount: pool.kind === 'va' ? pool.name : pool.vaName,
    registrationDate: iso(r.registeredAt),
    lastContactDate: iso(
      Math.max(
        r.lastAuthStatus === 'SUCCEEDED' ? (r.lastAuthAttemptAt ?? 0) : (r.lastAuthSuccessAt ?? 0),
        r.lastIdRenewalAt ?? 0,
        r.registeredAt,
      ),
    ),
    registrationStatus: lc.registration,
    authorizationStatus: lc.authorization,
  };
}

/** Removes a product instance from CSSM (or a local account); the product finds itself unregistered. */
export function removeDevice(w: World, pool: Pool, pid: string, sn: string): boolean {
  for (const c of pool.products) {
    if (c.udi.pid === pid && c.udi.sn.toLowerCase() === sn.toLowerCase()) {
      deregister(w, c);
      c.lastRegistrationAttempt = {
        at: w.now(),
        status: 'FAILED',
        reason: 'The product instance was removed from Cisco Smart Software Manager.',
      };
      return true;
    }
  }
  return false;
}
