/**
 * The rebalance read model (issue 25): the planner (core/domain/rebalance) fed from the store —
 * each VA's entitlement lines (CSSM's licenseDetails), the requests of the clusters drawing on
 * it (as the what-if engine reads them), and the forecast growth (the forecast read model) —
 * and, for every VA the plan touches, the allocation before and after all its transfers (the
 * what-if engine). Nothing is written.
 */
import { createHash } from 'node:crypto';
import type { AlertCandidate } from '../domain/alerts.ts';
import {
  findLicenseType,
  isLicenseTypeId,
  licenseType as licenseTypeOf,
  type LicenseTypeId,
} from '../domain/catalog.ts';
import {
  DEFAULT_HORIZON_DAYS,
  planRebalance,
  proposalFacts,
  type RebalanceLine,
  type RebalancePlan,
  type RebalanceProposal,
  type RebalanceVa,
  type VaLicenseMode,
} from '../domain/rebalance.ts';
import { cmp, vaLabel, type ReportDb } from './common.ts';
import { forecastsFor } from './trends.ts';
import { clusterDemand, whatIfEntitlements, type VaAllocationChange } from './whatif.ts';

export interface RebalanceReport extends RebalancePlan {
  generatedAt: Date;
  /** The VA asked about (`rebalance <domain>/<va>`): only the proposals it takes part in. */
  scope: string | null;
  /** The license the report is narrowed to (`rebalance <va> --license <type>`), else null. */
  license: LicenseTypeId | null;
  /** Every VA the shown transfers touch: its allocation before and after all of them. */
  effects: VaAllocationChange[];
  /** What the plan could not take into account. */
  notes: string[];
}

function addTo(
  m: Map<number, Map<LicenseTypeId, number>>,
  va: number,
  type: LicenseTypeId,
  q: number,
): void {
  const per = m.get(va) ?? new Map<LicenseTypeId, number>();
  per.set(type, (per.get(type) ?? 0) + q);
  m.set(va, per);
}

/** The planner's inputs, from the store: every VA of every CSSM (cloud) smart account. */
export async function rebalanceInputs(
  db: ReportDb,
  opts: {
    now: Date;
    smartAccountId?: number;
    /** Several accounts at once (alert evaluation); `smartAccountId` wins when both are given. */
    smartAccountIds?: readonly number[];
    /**
     * The forecast slopes per VA id when the caller has them already (alert evaluation reads
     * the same forecast): saves reading the usage snapshots again.
     */
    slopes?: ReadonlyMap<number, readonly { licenseType: string; perDay: number | null }[]>;
  },
): Promise<{ vas: RebalanceVa[]; notes: string[] }> {
  const notes: string[] = [];
  let q = db
    .selectFrom('virtual_accounts as v')
    .innerJoin('smart_accounts as s', 's.id', 'v.smart_account_id')
    .select(['v.id', 'v.name', 'v.license_mode', 's.domain', 's.source'])
    .where('v.removed_at', 'is', null)
    .orderBy('v.id');
  if (opts.smartAccountId !== undefined) q = q.where('s.id', '=', opts.smartAccountId);
  else if (opts.smartAccountIds)
    q = q.where('s.id', 'in', opts.smartAccountIds.length ? [...opts.smartAccountIds] : [-1]);
  const rows = await q.execute();
  // CSSM On-Prem documents no transfer call: a satellite's local accounts are left out (their
  // licenses move in CSSM cloud, and reach the satellite at its next sync).
  const satellite = rows.filter((r) => r.source === 'satellite');
  if (satellite.length > 0) {
    notes.push(
      `${satellite.length} virtual account(s) of satellite local accounts are not planned: CSSM On-Prem documents no transfer call`,
    );
  }
  const cloud = rows.filter((r) => r.source !== 'satellite');
  const ids = cloud.map((r) => r.id);

  const lines = new Map<number, RebalanceLine[]>(ids.map((id) => [id, []]));
  // CSSM's demand per requested type: its in-use of the type (what it drew, lending included,
  // plus what it could not serve), less what it lent to other types, plus what it borrowed.
  const counted = new Map<number, Map<LicenseTypeId, number>>();
  // CSSM's available per license: a transfer of more is refused, so the planner caps at it.
  const available = new Map<number, Partial<Record<LicenseTypeId, number>>>(
    ids.map((id) => [id, {}]),
  );
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    const lic = await db
      .selectFrom('licenses as l')
      .leftJoin('license_details as d', 'd.license_id', 'l.id')
      .select([
        'l.id',
        'l.virtual_account_id',
        'l.license_type',
        'l.quantity',
        'l.in_use',
        'l.available',
        'd.license_type as kind',
        'd.quantity as line_quantity',
        'd.end_date',
      ])
      .where('l.virtual_account_id', 'in', chunk)
      .orderBy('l.id')
      .execute();
    // Per license: its detail lines in force now; what the lines do not explain of CSSM's
    // quantity is kept as supply that is never moved (its kind is unknown).
    const byLicense = new Map<
      number,
      { va: number; type: LicenseTypeId; quantity: number; lines: RebalanceLine[] }
    >();
    for (const r of lic) {
      if (!isLicenseTypeId(r.license_type)) {
        notes.push(`license type "${r.license_type}" is not in the catalog and was left out`);
        continue;
      }
      let l = byLicense.get(r.id);
      if (!l) {
        l = {
          va: r.virtual_account_id,
          type: r.license_type,
          quantity: Math.max(0, r.quantity),
          lines: [],
        };
        byLicense.set(r.id, l);
        const av = available.get(r.virtual_account_id)!;
        av[r.license_type] = (av[r.license_type] ?? 0) + Math.max(0, r.available);
        addTo(counted, r.virtual_account_id, r.license_type, Math.max(0, r.in_use));
      }
      if (r.kind === null || r.line_quantity === null || r.line_quantity <= 0) continue;
      const endsAt = r.end_date === null ? null : new Date(r.end_date);
      if (endsAt && endsAt.getTime() <= opts.now.getTime()) continue;
      l.lines.push({ type: l.type, kind: r.kind, quantity: r.line_quantity, endsAt });
    }
    for (const l of byLicense.values()) {
      let detailed = 0;
      const kept: RebalanceLine[] = [];
      // Never more detail than CSSM's quantity: trim the lines that end first.
      for (const x of [...l.lines].sort(
        (a, b) => (b.endsAt?.getTime() ?? Infinity) - (a.endsAt?.getTime() ?? Infinity),
      )) {
        const q = Math.min(x.quantity, l.quantity - detailed);
        if (q <= 0) break;
        kept.push({ ...x, quantity: q });
        detailed += q;
      }
      if (l.quantity > detailed) {
        kept.push({
          type: l.type,
          kind: 'STANDARD',
          quantity: l.quantity - detailed,
          endsAt: null,
        });
      }
      lines.get(l.va)!.push(...kept);
    }
  }

  for (let i = 0; i < ids.length; i += 500) {
    const subs = await db
      .selectFrom('license_substitutions')
      .select(['virtual_account_id', 'license_name', 'substituted_license', 'quantity'])
      .where('virtual_account_id', 'in', ids.slice(i, i + 500))
      .execute();
    for (const x of subs) {
      const from = findLicenseType(x.license_name)?.id;
      const to = findLicenseType(x.substituted_license)?.id;
      if (!from || !to || x.quantity <= 0) continue;
      addTo(counted, x.virtual_account_id, from, x.quantity);
      addTo(counted, x.virtual_account_id, to, -x.quantity);
    }
  }

  // The demand planned is CSSM's own count per requested type wherever CSSM counts any: CSSM
  // allocates, a shortage alert names CSSM's short type, and a transfer resolves it only when
  // CSSM's count says so. The clusters' reports can miss demand CSSM counts (a product smartlic
  // does not read, a satellite's uploaded usage) or name it under another type (a cluster whose
  // mode is unknown is read as Enterprise: CER_USER where CSSM counts HCER_User) — planning
  // them let a VA's alert promise transfers that covered other types (issue 25, the HCER
  // alerts at scale 80). A VA CSSM counts nothing in keeps its clusters' reports, and only
  // those VAs' clusters are read (an evaluation reads fewer rows).
  const requests = new Map<number, RebalanceVa['requests']>(ids.map((id) => [id, []]));
  const uncounted: number[] = [];
  for (const id of ids) {
    const cssm = [...(counted.get(id) ?? [])].filter(([, n]) => n > 0);
    if (cssm.length === 0) {
      uncounted.push(id);
      continue;
    }
    requests.set(
      id,
      cssm.map(([type, count]) => ({
        id: `cssm:${type}`,
        type,
        count,
        mode: licenseTypeOf(type).family === 'HCS' ? 'HCS' : 'Enterprise',
      })),
    );
  }
  const demand = await clusterDemand(db, uncounted);
  notes.push(...demand.notes);
  for (const c of demand.clusters) {
    if (c.virtualAccountId !== null) requests.get(c.virtualAccountId)?.push(...c.requests);
  }

  const modeOf = (m: string | null): VaLicenseMode | null =>
    m === 'Enterprise' || m === 'HCS' || m === 'HCS-LE' ? m : null;
  const slopes =
    opts.slopes ??
    new Map(
      [...(await forecastsFor(db, { virtualAccountIds: ids, now: opts.now }))].map(([va, rows]) => [
        va,
        rows.map((f) => ({ licenseType: f.licenseType, perDay: f.slopePerDay })),
      ]),
    );
  const vas: RebalanceVa[] = cloud.map((r) => {
    const mode = modeOf(r.license_mode);
    const growth: RebalanceVa['growth'] = [];
    for (const f of slopes.get(r.id) ?? []) {
      if (f.perDay === null || f.perDay <= 0 || !isLicenseTypeId(f.licenseType)) continue;
      // The forecast follows CSSM's in-use of the license (what it serves, lending included):
      // its growth is counted as more requests of that type, in the mode the VA's apps run.
      growth.push({
        type: f.licenseType,
        mode: mode === 'HCS' || mode === 'HCS-LE' ? 'HCS' : 'Enterprise',
        perDay: f.perDay,
      });
    }
    return {
      id: r.id,
      domain: r.domain,
      name: r.name,
      licenseMode: mode,
      lines: lines.get(r.id)!,
      requests: requests.get(r.id)!,
      growth,
      available: available.get(r.id)!,
    };
  });
  return { vas, notes: [...new Set(notes)] };
}

/**
 * The plan for every smart account (or the one of `virtualAccountId`, showing only the
 * proposals that VA takes part in), with the before/after allocation of every VA touched.
 */
export async function rebalance(
  db: ReportDb,
  opts: {
    now: Date;
    horizonDays?: number;
    virtualAccountId?: number;
    /**
     * With `virtualAccountId`: only that VA's proposal for this license, narrowed to the
     * transfers that cover it (what its shortage alert carries and its button applies).
     */
    license?: LicenseTypeId;
  },
): Promise<RebalanceReport> {
  let smartAccountId: number | undefined;
  let scope: string | null = null;
  if (opts.virtualAccountId !== undefined) {
    const va = await db
      .selectFrom('virtual_accounts as v')
      .innerJoin('smart_accounts as s', 's.id', 'v.smart_account_id')
      .select(['v.smart_account_id', 's.domain', 'v.name'])
      .where('v.id', '=', opts.virtualAccountId)
      .executeTakeFirst();
    if (!va) throw new Error(`virtual account ${opts.virtualAccountId} does not exist`);
    smartAccountId = va.smart_account_id;
    scope = vaLabel(va.domain, va.name);
  }
  const { vas, notes } = await rebalanceInputs(db, {
    now: opts.now,
    ...(smartAccountId !== undefined ? { smartAccountId } : {}),
  });
  // The whole smart account is planned even for one VA: the fairness order between its
  // shortages must not depend on which VA was asked about.
  const plan = planRebalance({
    now: opts.now,
    horizonDays: opts.horizonDays ?? DEFAULT_HORIZON_DAYS,
    vas,
  });
  const id = opts.virtualAccountId;
  const takesPart = (p: RebalanceProposal) =>
    id === undefined || p.vaId === id || p.transfers.some((t) => t.fromVaId === id);
  let proposals = plan.proposals.filter(takesPart);
  if (opts.license !== undefined) {
    if (id === undefined) throw new Error('a license is planned for one virtual account only');
    proposals = plan.proposals.flatMap((p) => {
      const lic = p.vaId === id ? p.licenses.find((l) => l.type === opts.license) : undefined;
      if (!lic) return [];
      return [
        {
          ...p,
          shortages: [lic.shortage],
          transfers: lic.transfers,
          remaining: lic.remaining ? [lic.remaining] : [],
          coverage: lic.coverage,
          licenses: [lic],
        },
      ];
    });
  }
  const transfers = proposals.flatMap((p) => p.transfers);

  const deltas = new Map<number, Map<LicenseTypeId, number>>();
  const add = (va: number, type: LicenseTypeId, q: number) => {
    const m = deltas.get(va) ?? new Map<LicenseTypeId, number>();
    m.set(type, (m.get(type) ?? 0) + q);
    deltas.set(va, m);
  };
  for (const t of transfers) {
    add(t.fromVaId, t.type, -t.quantity);
    add(t.toVaId, t.type, t.quantity);
  }
  const effects: VaAllocationChange[] = [];
  for (const [va, m] of deltas) {
    const w = await whatIfEntitlements(db, {
      virtualAccountId: va,
      changes: [...m].map(([licenseType, delta]) => ({ licenseType, delta })),
    });
    effects.push(...w.changes);
    notes.push(...w.notes);
  }
  effects.sort((a, b) => cmp(a.va.label, b.va.label));
  return {
    generatedAt: opts.now,
    horizonDays: plan.horizonDays,
    scope,
    license: opts.license ?? null,
    proposals,
    transfers,
    effects,
    notes: [...new Set(notes)],
  };
}

/** The rules whose alerts carry their VA's proposal. */
const SHORTAGE_RULES = new Set(['insufficient-licenses', 'forecast-shortage']);

const DAY_MS = 86_400_000;

interface CachedPlan {
  /** sha256 of the smart account's planner inputs and the horizon. */
  key: string;
  /** The `now` it was planned at (ms). */
  at: number;
  /** The end (ms) of every term line in the inputs: the only way `now` enters the plan. */
  ends: number[];
  proposals: RebalanceProposal[];
}

/**
 * The plans of the last evaluation, per smart account, so an evaluation plans only the
 * accounts whose planner inputs changed (issue 25: planning every account added ~250 ms CPU
 * to an evaluation at scale 300). Exact, not a time-to-live: the planner is a pure function of
 * its inputs and of `now`, and `now` enters it only through comparisons `end > now + d days`
 * (d from 0 to the horizon) with the ends of term lines; a plan is reused only when the inputs
 * hash the same and no such comparison flips between the two `now`s.
 */
export class RebalancePlanCache {
  private readonly plans = new Map<string, CachedPlan>();
  /** Accounts planned and reused, since the start (for tests and the bench). */
  readonly stats = { planned: 0, reused: 0 };

  /** The proposals for one smart account's VAs, planned again only when they could differ. */
  proposalsFor(domain: string, vas: RebalanceVa[], now: Date, horizonDays: number) {
    const key = createHash('sha256')
      .update(JSON.stringify([horizonDays, vas]))
      .digest('hex');
    const t = now.getTime();
    const hit = this.plans.get(domain);
    if (hit && hit.key === key && !crosses(hit.ends, hit.at, t, horizonDays)) {
      this.stats.reused++;
      return hit.proposals;
    }
    const proposals = planRebalance({ now, horizonDays, vas }).proposals;
    const ends = [
      ...new Set(
        vas.flatMap((v) => v.lines.flatMap((l) => (l.endsAt ? [l.endsAt.getTime()] : []))),
      ),
    ];
    this.plans.set(domain, { key, at: t, ends, proposals });
    this.stats.planned++;
    return proposals;
  }
}

/**
 * Whether some `end > now + d days` (0 ≤ d ≤ horizon) differs between now = `a` and now = `b`
 * (a ≤ b): some end lies in (a + dD, b + dD]. The least d with end ≤ b + dD is the one to try.
 */
export function crosses(ends: readonly number[], a: number, b: number, horizonDays: number) {
  if (b < a) return true;
  for (const e of ends) {
    const d = Math.max(0, Math.ceil((e - b) / DAY_MS));
    if (d <= horizonDays && a + d * DAY_MS < e) return true;
  }
  return false;
}

/**
 * Adds to every shortage alert of `candidates` the part of its VA's proposal that covers the
 * alert's own license (`proposalFacts`): planned as `rebalance` plans it, one plan per smart
 * account concerned (reused from `cache` while its inputs are the same). Candidates of other
 * rules, and alerts whose license the plan does not find short (CSSM's counts and the
 * clusters' reports disagree), are left as they are.
 */
export async function attachRebalanceFacts(
  db: ReportDb,
  candidates: AlertCandidate[],
  opts: {
    now: Date;
    horizonDays?: number;
    slopes?: ReadonlyMap<number, readonly { licenseType: string; perDay: number | null }[]>;
    cache?: RebalancePlanCache;
  },
): Promise<void> {
  const short = candidates.filter((c) => SHORTAGE_RULES.has(c.rule) && c.entity.kind === 'VA');
  const accounts = [
    ...new Set(short.map((c) => c.smartAccount?.id).filter((x): x is number => x !== undefined)),
  ];
  if (accounts.length === 0) return;
  const horizonDays = opts.horizonDays ?? DEFAULT_HORIZON_DAYS;
  const cache = opts.cache ?? new RebalancePlanCache();
  // One read for every account concerned; each account planned on its own (transfers stay
  // inside a smart account, so its proposals are the same planned together or alone).
  const { vas } = await rebalanceInputs(db, {
    now: opts.now,
    ...(accounts.length === 1 ? { smartAccountId: accounts[0]! } : { smartAccountIds: accounts }),
    ...(opts.slopes ? { slopes: opts.slopes } : {}),
  });
  const byDomain = new Map<string, RebalanceVa[]>();
  for (const v of vas) {
    const list = byDomain.get(v.domain);
    if (list) list.push(v);
    else byDomain.set(v.domain, [v]);
  }
  const byVa = new Map<string, RebalanceProposal>();
  for (const [domain, list] of byDomain)
    for (const p of cache.proposalsFor(domain, list, opts.now, horizonDays))
      byVa.set(String(p.vaId), p);
  for (const c of short) {
    const p = byVa.get(c.entity.id);
    const lic = p?.licenses.find((l) => l.type === c.facts.licenseType);
    if (p && lic) c.facts = { ...c.facts, ...proposalFacts(p, lic, horizonDays) };
  }
}
