/** Smart Account Summary and Virtual Account Summary (DOMAIN §7.7), plus what HCM-F lacks. */
import { sql } from 'kysely';
import {
  complianceOf,
  isShort,
  satelliteSyncOverdue,
  shortageOf,
  type Compliance,
} from '../domain/compliance.ts';
import type { LicenseMode } from '../domain/migration.ts';
import type {
  AccountSource,
  AlertSeverity,
  SmartAccountType,
  VirtualAccountRole,
} from '../store/schema.ts';
import { likeOperator } from '../store/dialect.ts';
import { cmp, dateOrNull, vaLabel, type ReportDb } from './common.ts';

/** Open alerts (from the alerts table) about an entity and what lies inside it. */
export interface AlertCounts {
  open: number;
  critical: number;
  warning: number;
  info: number;
  /** Open but muted now (by the alert or by a rule mute): not in the counts above. */
  muted: number;
  /** The most severe open alerts' messages, most severe first (at most 3). */
  top: string[];
}

export interface SmartAccountSummaryRow {
  id: number;
  name: string;
  domain: string;
  type: SmartAccountType;
  source: AccountSource;
  /** "CUSTOMER", or "CUSTOMER (Satellite)" for a satellite local account. */
  typeLabel: string;
  status: string;
  /** VA# */
  virtualAccounts: number;
  /** Last SyncUp */
  lastSyncUp: Date | null;
  lastSyncStatus: string | null;
  lastSyncError: string | null;
  /** Satellite accounts: the satellite's last sync with CSSM. */
  satelliteLastSync: Date | null;
  /** Satellite accounts that have synced at least once: more than 30 days since CSSM. */
  satelliteSyncOverdue: boolean;
  /** Alerts: open alerts that belong to this SA (about it, its VAs, tokens, satellites, clusters). */
  alerts: AlertCounts;
}

const SEVERITY_RANK: Record<AlertSeverity, number> = { critical: 0, warning: 1, info: 2 };

/** Open alerts grouped by the Smart Account they belong to (the alert store's `smart_account_id`). */
async function openAlertsByAccount(
  db: ReportDb,
  accountIds: readonly number[],
  now: Date,
): Promise<Map<number, AlertCounts>> {
  const at = now.toISOString();
  const rows = await db
    .selectFrom('alerts')
    .select([
      'smart_account_id',
      'severity',
      'message',
      'first_seen',
      'muted_until',
      'rule',
      'entity_type',
      'entity_id',
    ])
    .where('state', '=', 'open')
    .where('smart_account_id', 'is not', null)
    .execute();
  const ruleMutes = new Set(
    (
      await db
        .selectFrom('alert_mutes')
        .select(['rule', 'entity_type', 'entity_id'])
        .where('until', '>', at)
        .execute()
    ).map((m) => `${m.rule}|${m.entity_type}|${m.entity_id}`),
  );
  rows.sort(
    (a, b) =>
      SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || cmp(a.first_seen, b.first_seen),
  );
  const out = new Map<number, AlertCounts>(
    accountIds.map((id) => [id, { open: 0, critical: 0, warning: 0, info: 0, muted: 0, top: [] }]),
  );
  for (const r of rows) {
    const c = out.get(r.smart_account_id!);
    if (!c) continue;
    const muted =
      (r.muted_until !== null && r.muted_until > at) ||
      ruleMutes.has(`${r.rule}|${r.entity_type}|${r.entity_id}`);
    if (muted) {
      c.muted++;
      continue;
    }
    c.open++;
    c[r.severity]++;
    if (c.top.length < 3) c.top.push(r.message);
  }
  return out;
}

/** Smart Account Summary: one row per provisioned account, by name. */
export async function smartAccountSummary(
  db: ReportDb,
  opts: { now: Date },
): Promise<SmartAccountSummaryRow[]> {
  const rows = await db
    .selectFrom('smart_accounts as s')
    .leftJoin('local_accounts as l', 'l.smart_account_id', 's.id')
    .select([
      's.id',
      's.name',
      's.domain',
      's.type',
      's.source',
      's.status',
      's.last_sync_at',
      's.last_sync_status',
      's.last_sync_error',
      'l.last_cssm_sync_at',
      (eb) =>
        eb
          .selectFrom('virtual_accounts as v')
          .select(sql<number>`count(*)`.as('n'))
          .whereRef('v.smart_account_id', '=', 's.id')
          .where('v.removed_at', 'is', null)
          .as('vas'),
    ])
    .orderBy('s.name')
    .orderBy('s.domain')
    .execute();
  const alerts = await openAlertsByAccount(
    db,
    rows.map((r) => r.id),
    opts.now,
  );
  return rows.map((r) => {
    const satLast = dateOrNull(r.last_cssm_sync_at);
    return {
      id: r.id,
      name: r.name,
      domain: r.domain,
      type: r.type,
      source: r.source,
      typeLabel: r.source === 'satellite' ? `${r.type} (Satellite)` : r.type,
      status: r.status,
      virtualAccounts: Number(r.vas ?? 0),
      lastSyncUp: dateOrNull(r.last_sync_at),
      lastSyncStatus: r.last_sync_status,
      lastSyncError: r.last_sync_error,
      satelliteLastSync: satLast,
      satelliteSyncOverdue:
        r.source === 'satellite' &&
        r.last_sync_at !== null &&
        satelliteSyncOverdue(satLast, opts.now),
      alerts: alerts.get(r.id)!,
    };
  });
}

export interface VirtualAccountSummaryRow {
  id: number;
  name: string;
  /** `<sa-domain>/<va>` */
  label: string;
  smartAccountId: number;
  smartAccountDomain: string;
  /** SA Name */
  smartAccountName: string;
  description: string | null;
  isDefault: boolean;
  /** Access Level (CSSM's commerceAccessLevel) */
  accessLevel: string | null;
  /** Clusters # */
  clusters: number;
  /** Customer # (distinct customers of the assigned clusters) */
  customers: number;
  licenseMode: LicenseMode | null;
  role: VirtualAccountRole | null;
  compliance: Compliance;
  /** License types short, and by how much in all. */
  shortTypes: string[];
  shortage: number;
  /** CSSM's VA list has lacked it since this sync (kept with the operator's settings); null: listed. */
  missingSince: Date | null;
  /** Consecutive syncs whose VA list lacked it (0 while listed). */
  missingSyncs: number;
}

/** Virtual Account Summary: every VA (or one SA's), by SA domain then VA name. */
export async function virtualAccountSummary(
  db: ReportDb,
  opts: { smartAccountId?: number } = {},
): Promise<VirtualAccountSummaryRow[]> {
  let q = db
    .selectFrom('virtual_accounts as v')
    .innerJoin('smart_accounts as s', 's.id', 'v.smart_account_id')
    .select([
      'v.id',
      'v.name',
      'v.smart_account_id',
      's.domain',
      's.name as sa_name',
      'v.description',
      'v.is_default',
      'v.commerce_access_level',
      'v.license_mode',
      'v.role',
      'v.missing_since',
      'v.missing_syncs',
      // Per VA from clusters_va_customer_idx alone, not a grouped scan of every cluster.
      sql<number>`(select count(*) from clusters c where c.virtual_account_id = v.id)`.as(
        'clusters',
      ),
      sql<number>`(select count(distinct c.customer_id) from clusters c where c.virtual_account_id = v.id)`.as(
        'customers',
      ),
    ])
    // A VA removed (by hand or after agreeing syncs) keeps its row for history only.
    .where('v.removed_at', 'is', null);
  if (opts.smartAccountId !== undefined)
    q = q.where('v.smart_account_id', '=', opts.smartAccountId);
  const rows = await q.orderBy('s.domain').orderBy('v.name').execute();
  // Only lines that can be short are read (the test below is the SQL form of `isShort`'s
  // inputs); `shortageOf` / `isShort` still decide. An estate of thousands of VAs has tens of
  // thousands of lines, nearly all in compliance.
  let lq = db
    .selectFrom('licenses as l')
    .where((eb) =>
      eb.or([
        eb('l.in_use', '>', eb.ref('l.quantity')),
        eb('l.available', '<', 0),
        // A superset of isShort's status test: SQLite's trim() strips spaces only, JS's trim()
        // also tabs, line ends and no-break spaces (test/integration/shortage-rule.test.ts).
        eb('l.status', likeOperator(db), '%insufficient licenses%'),
      ]),
    )
    .select([
      'l.virtual_account_id',
      'l.license_type',
      'l.quantity',
      'l.in_use',
      'l.available',
      'l.status',
    ]);
  if (opts.smartAccountId !== undefined) {
    lq = lq
      .innerJoin('virtual_accounts as v', 'v.id', 'l.virtual_account_id')
      .where('v.smart_account_id', '=', opts.smartAccountId);
  }
  const lines = new Map<
    number,
    { type: string; quantity: number; inUse: number; available: number; status: string }[]
  >();
  for (const l of await lq.execute()) {
    const list = lines.get(l.virtual_account_id) ?? [];
    list.push({
      type: l.license_type,
      quantity: l.quantity,
      inUse: l.in_use,
      available: l.available,
      status: l.status,
    });
    lines.set(l.virtual_account_id, list);
  }
  return rows.map((r) => {
    const ls = lines.get(r.id) ?? [];
    const short = ls.filter(isShort);
    return {
      id: r.id,
      name: r.name,
      label: vaLabel(r.domain, r.name),
      smartAccountId: r.smart_account_id,
      smartAccountDomain: r.domain,
      smartAccountName: r.sa_name,
      description: r.description,
      isDefault: r.is_default !== 0,
      accessLevel: r.commerce_access_level,
      clusters: Number(r.clusters ?? 0),
      customers: Number(r.customers ?? 0),
      licenseMode: r.license_mode,
      role: r.role,
      compliance: complianceOf(ls),
      shortTypes: short.map((l) => l.type),
      shortage: ls.reduce((n, l) => n + shortageOf(l), 0),
      missingSince: dateOrNull(r.missing_since),
      missingSyncs: r.missing_syncs,
    };
  });
}
