/**
 * The rebalance read model (issue 25): the planner (core/domain/rebalance) fed from the store —
 * each VA's entitlement lines (CSSM's licenseDetails), the requests of the clusters drawing on
 * it (as the what-if engine reads them), and the forecast growth (the forecast read model) —
 * and, for every VA the plan touches, the allocation before and after all its transfers (the
 * what-if engine). Nothing is written.
 */
import type { AlertCandidate } from '../domain/alerts.ts';
import { isLicenseTypeId, type LicenseTypeId } from '../domain/catalog.ts';
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
import {
  clusterDemands,
  whatIfEntitlements,
  whatIfInputs,
  type VaAllocationChange,
} from './whatif.ts';

export interface RebalanceReport extends RebalancePlan {
  generatedAt: Date;
  /** The VA asked about (`rebalance <domain>/<va>`): only the proposals it takes part in. */
  scope: string | null;
  /** Every VA the shown transfers touch: its allocation before and after all of them. */
  effects: VaAllocationChange[];
  /** What the plan could not take into account. */
  notes: string[];
}

/** The planner's inputs, from the store: every VA of every CSSM (cloud) smart account. */
export async function rebalanceInputs(
  db: ReportDb,
  opts: {
    now: Date;
    smartAccountId?: number;
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

  // One smart account (an alert evaluation after its sync, `rebalance <domain>/<va>`): its own
  // clusters only, so a full sync's evaluations do not each read the whole estate.
  const inputs =
    opts.smartAccountId === undefined
      ? await whatIfInputs(db)
      : await clusterDemands(db, { smartAccountId: opts.smartAccountId });
  notes.push(...inputs.notes);
  const requests = new Map<number, RebalanceVa['requests']>(ids.map((id) => [id, []]));
  for (const c of inputs.clusters) {
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
  opts: { now: Date; horizonDays?: number; virtualAccountId?: number },
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
  const proposals = plan.proposals.filter(takesPart);
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
    proposals,
    transfers,
    effects,
    notes: [...new Set(notes)],
  };
}

/** The rules whose alerts carry their VA's proposal. */
const SHORTAGE_RULES = new Set(['insufficient-licenses', 'forecast-shortage']);

/**
 * Adds to every shortage alert of `candidates` its VA's proposal (`proposalFacts`): one plan
 * per smart account concerned, planned as `rebalance` plans it. Candidates of other rules, and
 * VAs the plan finds nothing short in (CSSM's counts and the clusters' reports disagree), are
 * left as they are.
 */
export async function attachRebalanceFacts(
  db: ReportDb,
  candidates: AlertCandidate[],
  opts: {
    now: Date;
    horizonDays?: number;
    slopes?: ReadonlyMap<number, readonly { licenseType: string; perDay: number | null }[]>;
  },
): Promise<void> {
  const short = candidates.filter((c) => SHORTAGE_RULES.has(c.rule) && c.entity.kind === 'VA');
  const accounts = [
    ...new Set(short.map((c) => c.smartAccount?.id).filter((x): x is number => x !== undefined)),
  ];
  const horizonDays = opts.horizonDays ?? DEFAULT_HORIZON_DAYS;
  const byVa = new Map<string, RebalanceProposal>();
  if (accounts.length > 0) {
    // One read and one plan for every account concerned: transfers stay inside a smart
    // account, so each account's proposals are the same planned together or alone.
    const { vas } = await rebalanceInputs(db, {
      now: opts.now,
      ...(accounts.length === 1 ? { smartAccountId: accounts[0]! } : {}),
      ...(opts.slopes ? { slopes: opts.slopes } : {}),
    });
    const wanted = new Set(accounts);
    const ids = new Set(
      (
        await db
          .selectFrom('virtual_accounts')
          .select(['id', 'smart_account_id'])
          .where('removed_at', 'is', null)
          .execute()
      )
        .filter((r) => wanted.has(r.smart_account_id))
        .map((r) => r.id),
    );
    const mine = vas.filter((v) => ids.has(v.id));
    for (const p of planRebalance({ now: opts.now, horizonDays, vas: mine }).proposals)
      byVa.set(String(p.vaId), p);
  }
  for (const c of short) {
    const p = byVa.get(c.entity.id);
    if (p) c.facts = { ...c.facts, ...proposalFacts(p, horizonDays) };
  }
}
