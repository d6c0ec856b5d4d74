/**
 * What-if: the allocation (core/domain/allocation) of the VAs concerned before and after a
 * change, computed from what the clusters last reported and what the VAs own. Nothing is
 * written.
 */
import {
  allocate,
  type AllocationResult,
  type Entitlement,
  type LicenseRequest,
} from '../domain/allocation.ts';
import { isLicenseTypeId, type LicenseTypeId } from '../domain/catalog.ts';
import { SmartlicError } from '../errors.ts';
import { cmp, virtualAccountRefs, type ReportDb, type VirtualAccountRef } from './common.ts';

export interface VaAllocationChange {
  va: VirtualAccountRef;
  before: AllocationResult;
  after: AllocationResult;
  /** Types short after and not before, or short by more after. */
  newShortages: { type: LicenseTypeId; quantity: number }[];
  /** Types short before and not after, or short by less. */
  resolvedShortages: { type: LicenseTypeId; quantity: number }[];
}

export interface WhatIfResult {
  changes: VaAllocationChange[];
  /** What the computation left out (types not in the catalog, clusters with no counts). */
  notes: string[];
}

interface ClusterDemand {
  id: number;
  name: string;
  virtualAccountId: number | null;
  requests: LicenseRequest[];
}

async function entitlementsOf(db: ReportDb, vaIds: readonly number[], notes: string[]) {
  const out = new Map<number, Entitlement[]>(vaIds.map((id) => [id, []]));
  if (vaIds.length === 0) return out;
  const rows = await db
    .selectFrom('licenses')
    .select(['virtual_account_id', 'license_type', 'quantity'])
    .where('virtual_account_id', 'in', [...vaIds])
    .execute();
  for (const r of rows) {
    if (!isLicenseTypeId(r.license_type)) {
      notes.push(`license type "${r.license_type}" is not in the catalog and was left out`);
      continue;
    }
    out
      .get(r.virtual_account_id)!
      .push({ type: r.license_type, quantity: Math.max(0, r.quantity) });
  }
  return out;
}

async function demandOf(
  db: ReportDb,
  where: { vaIds?: readonly number[]; clusterIds?: readonly number[]; smartAccountId?: number },
  notes: string[],
): Promise<ClusterDemand[]> {
  let q = db
    .selectFrom('clusters as c')
    .leftJoin('cluster_license_usage as u', 'u.cluster_id', 'c.id')
    .select([
      'c.id',
      'c.name',
      'c.virtual_account_id',
      'c.license_mode',
      'u.license_type',
      'u.count',
    ]);
  if (where.vaIds)
    q = q.where('c.virtual_account_id', 'in', where.vaIds.length ? [...where.vaIds] : [-1]);
  if (where.clusterIds)
    q = q.where('c.id', 'in', where.clusterIds.length ? [...where.clusterIds] : [-1]);
  if (where.smartAccountId !== undefined) {
    const sa = where.smartAccountId;
    q = q.where('c.virtual_account_id', 'in', (eb) =>
      eb.selectFrom('virtual_accounts').select('id').where('smart_account_id', '=', sa),
    );
  }
  const rows = await q.orderBy('c.id').execute();
  const by = new Map<number, ClusterDemand>();
  for (const r of rows) {
    let d = by.get(r.id);
    if (!d) {
      d = { id: r.id, name: r.name, virtualAccountId: r.virtual_account_id, requests: [] };
      by.set(r.id, d);
    }
    if (r.license_type === null || r.count === null || r.count <= 0) continue;
    if (!isLicenseTypeId(r.license_type)) {
      notes.push(
        `${r.name}: license type "${r.license_type}" is not in the catalog and was left out`,
      );
      continue;
    }
    d.requests.push({
      id: `${r.id}:${r.license_type}`,
      type: r.license_type,
      count: r.count,
      mode: r.license_mode === 'HCS' || r.license_mode === 'HCS-LE' ? 'HCS' : 'Enterprise',
    });
  }
  return [...by.values()];
}

function diffShortages(before: AllocationResult, after: AllocationResult) {
  const b = new Map(before.shortages.map((s) => [s.type, s.quantity]));
  const a = new Map(after.shortages.map((s) => [s.type, s.quantity]));
  const newShortages = after.shortages
    .filter((s) => s.quantity > (b.get(s.type) ?? 0))
    .map((s) => ({ type: s.type, quantity: s.quantity - (b.get(s.type) ?? 0) }));
  const resolvedShortages = before.shortages
    .filter((s) => s.quantity > (a.get(s.type) ?? 0))
    .map((s) => ({ type: s.type, quantity: s.quantity - (a.get(s.type) ?? 0) }));
  return { newShortages, resolvedShortages };
}

function change(
  va: VirtualAccountRef,
  ents: Entitlement[],
  afterEnts: Entitlement[],
  before: LicenseRequest[],
  after: LicenseRequest[],
): VaAllocationChange {
  const b = allocate({ entitlements: ents, requests: before });
  const a = allocate({ entitlements: afterEnts, requests: after });
  return { va, before: b, after: a, ...diffShortages(b, a) };
}

/** Moving `clusterIds` to `toVirtualAccountId`: every VA they leave, and the target. */
export async function whatIfMove(
  db: ReportDb,
  opts: { clusterIds: readonly number[]; toVirtualAccountId: number },
): Promise<WhatIfResult> {
  const notes: string[] = [];
  const moving = await demandOf(db, { clusterIds: opts.clusterIds }, notes);
  const missing = opts.clusterIds.filter((id) => !moving.some((m) => m.id === id));
  if (missing.length > 0) {
    throw new SmartlicError({
      code: 'NOT_FOUND',
      message: `cluster id(s) ${missing.join(', ')} do not exist`,
      action: 'see `smartlic cluster list`',
    });
  }
  const movingIds = new Set(moving.map((m) => m.id));
  const vaIds = [
    ...new Set([
      ...moving.map((m) => m.virtualAccountId).filter((v): v is number => v !== null),
      opts.toVirtualAccountId,
    ]),
  ];
  const refs = await virtualAccountRefs(db, vaIds);
  if (!refs.has(opts.toVirtualAccountId)) {
    throw new SmartlicError({
      code: 'NOT_FOUND',
      message: `virtual account ${opts.toVirtualAccountId} does not exist`,
      action: 'see `smartlic va list`',
    });
  }
  for (const m of moving) {
    if (m.requests.length === 0)
      notes.push(`${m.name} reported no license counts: it moves nothing`);
  }
  const ents = await entitlementsOf(db, vaIds, notes);
  const demand = await demandOf(db, { vaIds }, notes);
  const changes: VaAllocationChange[] = [];
  for (const id of vaIds) {
    const va = refs.get(id)!;
    const here = demand.filter((d) => d.virtualAccountId === id);
    const before = here.flatMap((d) => d.requests);
    const after =
      id === opts.toVirtualAccountId
        ? [...here.filter((d) => !movingIds.has(d.id)), ...moving].flatMap((d) => d.requests)
        : here.filter((d) => !movingIds.has(d.id)).flatMap((d) => d.requests);
    changes.push(change(va, ents.get(id)!, ents.get(id)!, before, after));
  }
  changes.sort(
    (a, b) =>
      (a.va.id === opts.toVirtualAccountId ? 1 : 0) -
        (b.va.id === opts.toVirtualAccountId ? 1 : 0) || cmp(a.va.label, b.va.label),
  );
  return { changes, notes: [...new Set(notes)] };
}

/** Adding (delta > 0) or removing (delta < 0) entitlements in one VA. */
export async function whatIfEntitlements(
  db: ReportDb,
  opts: {
    virtualAccountId: number;
    changes: readonly { licenseType: LicenseTypeId; delta: number }[];
  },
): Promise<WhatIfResult> {
  const notes: string[] = [];
  const refs = await virtualAccountRefs(db, [opts.virtualAccountId]);
  const va = refs.get(opts.virtualAccountId);
  if (!va) {
    throw new SmartlicError({
      code: 'NOT_FOUND',
      message: `virtual account ${opts.virtualAccountId} does not exist`,
      action: 'see `smartlic va list`',
    });
  }
  const ents = (await entitlementsOf(db, [va.id], notes)).get(va.id)!;
  const totals = new Map<LicenseTypeId, number>();
  for (const e of ents) totals.set(e.type, (totals.get(e.type) ?? 0) + e.quantity);
  for (const c of opts.changes) {
    const next = (totals.get(c.licenseType) ?? 0) + c.delta;
    if (next < 0)
      notes.push(`${c.licenseType}: removing ${-c.delta} leaves less than none; counted as 0`);
    totals.set(c.licenseType, Math.max(0, next));
  }
  const after = [...totals].map(([type, quantity]) => ({ type, quantity }));
  const requests = (await demandOf(db, { vaIds: [va.id] }, notes)).flatMap((d) => d.requests);
  return { changes: [change(va, ents, after, requests, requests)], notes: [...new Set(notes)] };
}

/**
 * The inputs of every what-if move at once (for the site's in-browser what-if): each VA's
 * entitlements and each cluster's license requests, exactly as `whatIfMove` takes them.
 * Moving clusters means: their requests leave their VA and join the target's; allocating
 * before and after with core/domain/allocation gives `whatIfMove`'s numbers.
 */
export interface WhatIfInputs {
  virtualAccounts: { va: VirtualAccountRef; entitlements: Entitlement[] }[];
  clusters: {
    id: number;
    name: string;
    virtualAccountId: number | null;
    requests: LicenseRequest[];
  }[];
  notes: string[];
}

/**
 * The license requests of the clusters assigned to one smart account's VAs: what the
 * rebalance planner needs of the clusters when it plans one account. One account's alert evaluation
 * reads its own clusters, not the estate's (read per account of a sync, the estate's would
 * make a full sync's cost grow with the square of the estate).
 */
export async function clusterDemands(
  db: ReportDb,
  scope: { smartAccountId: number },
): Promise<{ clusters: ClusterDemand[]; notes: string[] }> {
  const notes: string[] = [];
  const clusters = await demandOf(db, { smartAccountId: scope.smartAccountId }, notes);
  return { clusters, notes: [...new Set(notes)] };
}

export async function whatIfInputs(db: ReportDb): Promise<WhatIfInputs> {
  const notes: string[] = [];
  const ids = (await db.selectFrom('virtual_accounts').select('id').orderBy('id').execute()).map(
    (r) => r.id,
  );
  const refs = await virtualAccountRefs(db, ids);
  const ents = await entitlementsOf(db, ids, notes);
  const clusters = await demandOf(db, {}, notes);
  return {
    virtualAccounts: ids
      .filter((id) => refs.has(id))
      .map((id) => ({ va: refs.get(id)!, entitlements: ents.get(id)! })),
    clusters,
    notes: [...new Set(notes)],
  };
}
