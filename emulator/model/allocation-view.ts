/**
 * CSSM's allocation of one pool (cloud VA or satellite local account) and the license records
 * it shows for it. CSSM computes it, so the emulator does too, with core/domain's `allocate`;
 * the result is cached on the pool until something in it changes (World.invalidate).
 */
import { catalogIndex, licenseType, type LicenseTypeId } from '../../core/domain/catalog.ts';
import { allocate, type LicenseRequest } from '../../core/domain/allocation.ts';
import type { AllocView, Cluster, LicenseLine, LicenseRecord, Pool } from './types.ts';

/** Whether a product's usage counts: registered and its ID certificate not expired. */
export function counts(c: Cluster): boolean {
  return c.registration !== null && !c.registration.expired;
}

/** The license requests of one product, as its smart agent sends them. */
export function requestsOf(c: Cluster): LicenseRequest[] {
  const mode = c.licenseMode === 'Enterprise' ? 'Enterprise' : 'HCS';
  const out: LicenseRequest[] = [];
  for (const [type, count] of Object.entries(c.demand) as [LicenseTypeId, number][]) {
    if (!count) continue;
    out.push({ id: `${c.name}/${type}`, type: requestedType(type, mode), count, mode });
  }
  return out;
}

/** The type a product asks CSSM for: HCS-mode apps ask for the mapped HCS type. */
export function requestedType(type: LicenseTypeId, mode: 'Enterprise' | 'HCS'): LicenseTypeId {
  if (mode === 'HCS') {
    const t = licenseType(type);
    if (t.family === 'Enterprise' && t.hcsEntry) return t.hcsEntry;
  }
  return type;
}

/**
 * The pool's allocation at `at`, from its cache while still fresh; a new one also moves its
 * products' out-of-compliance dates, so callers compute it at the time things happened.
 */
export function allocOf(pool: Pool, at: number): AllocView {
  if (pool.alloc && at < pool.alloc.staleAt) return pool.alloc;
  const all = pool.kind === 'va' ? pool.licenses : pool.syncedLicenses;
  // Term licenses count from their start date through their end date (inclusive) [design].
  const lines = all.filter((l) => lineActive(l, at));
  let staleAt = Infinity;
  for (const l of all) {
    const [from, to] = lineWindow(l);
    if (from > at) staleAt = Math.min(staleAt, from);
    if (to >= at) staleAt = Math.min(staleAt, to + 1);
  }
  const requests: LicenseRequest[] = [];
  for (const c of pool.products) if (counts(c)) requests.push(...requestsOf(c));
  if (pool.kind === 'va') {
    for (const [la, u] of pool.satelliteUsage) {
      for (const r of u.requests) requests.push({ ...r, id: `satellite:${la}:${r.id}` });
    }
  }
  const result = allocate({
    entitlements: lines.map((l) => ({ type: l.type, quantity: l.quantity })),
    requests,
  });
  const served = new Map<string, number>();
  for (const a of result.allocations)
    served.set(a.request, (served.get(a.request) ?? 0) + a.quantity);
  const short = new Set<string>();
  for (const r of requests) {
    if ((served.get(r.id) ?? 0) < r.count) short.add(r.id.slice(0, r.id.lastIndexOf('/')));
  }
  const view: AllocView = {
    result,
    served,
    short,
    records: records(pool, lines, requests, result, all, at),
    staleAt,
  };
  pool.alloc = view;
  for (const c of pool.products) {
    if (!counts(c)) continue;
    if (short.has(c.name)) c.outOfComplianceSince ??= at;
    else c.outOfComplianceSince = undefined;
  }
  return view;
}

function records(
  pool: Pool,
  lines: LicenseLine[],
  requests: LicenseRequest[],
  result: ReturnType<typeof allocate>,
  allLines: LicenseLine[],
  at: number,
): LicenseRecord[] {
  const types = new Set<LicenseTypeId>();
  for (const l of allLines) if (l.quantity > 0) types.add(l.type);
  for (const r of requests) if (r.count > 0) types.add(r.type);
  const drawn = new Map(result.licenses.map((l) => [l.type, l.inUse]));
  const shortage = new Map(result.shortages.map((s) => [s.type, s.quantity]));
  const vaName = pool.kind === 'va' ? pool.name : pool.vaName;
  return [...types]
    .sort((a, b) => catalogIndex(a) - catalogIndex(b))
    .map((type) => {
      const own = lines.filter((l) => l.type === type && l.quantity > 0);
      const quantity = own.reduce((s, l) => s + l.quantity, 0);
      const short = shortage.get(type) ?? 0;
      const inUse = (drawn.get(type) ?? 0) + short;
      const lt = licenseType(type);
      return {
        license: lt.displayName,
        virtualAccount: vaName,
        quantity,
        inUse,
        available: quantity - inUse,
        reserved: 0,
        pendingQuantity: 0,
        status: short > 0 ? 'Insufficient Licenses' : 'In Compliance',
        billingType: own[0]?.billingType ?? 'PREPAID',
        isPortable: false,
        ahaApps: false,
        licenseSubstitutions: result.substitutions
          .filter((s) => s.from === type)
          .map((s) => ({
            licenseName: lt.displayName,
            substitutedLicense: licenseType(s.to).displayName,
            substitutedQuantity: s.quantity,
            substitutionType:
              licenseType(s.to).family === lt.family ? 'Higher Tier' : 'Dual Parenting',
          })),
        licenseDetails: allLines
          .filter((l) => l.type === type && l.quantity > 0)
          .map((l) => ({
            licenseType: l.licenseType,
            quantity: l.quantity,
            startDate: l.startDate,
            endDate: l.endDate,
            subscriptionId: l.subscriptionId,
            status: lineActive(l, at) ? 'ACTIVE' : lineWindow(l)[0] > at ? 'PENDING' : 'EXPIRED',
          })),
      };
    });
}

/** A license line's validity as [first ms, last ms]; dates are whole UTC days, both inclusive. */
function lineWindow(l: LicenseLine): [number, number] {
  const day = (d: string, end: boolean) =>
    d.length === 10 ? Date.parse(`${d}T${end ? '23:59:59.999' : '00:00:00.000'}Z`) : Date.parse(d);
  return [
    l.startDate ? day(l.startDate, false) : -Infinity,
    l.endDate ? day(l.endDate, true) : Infinity,
  ];
}

function lineActive(l: LicenseLine, at: number): boolean {
  const [from, to] = lineWindow(l);
  return from <= at && at <= to;
}
