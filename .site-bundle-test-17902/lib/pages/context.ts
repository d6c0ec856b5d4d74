/**
 * What every kind of page shares: the whole-estate read models (core/reports, read-only) the
 * pages link and group by, the link cells, and the tables several kinds of page show (the
 * Cluster Summary rows, the open alerts, the VA and account rows). A page module
 * (site/lib/pages/<kind>.ts) shapes one page from this and, where a page needs more, its own
 * queries. Nothing secret is read: the repositories get a throw-away key, so an attempt to
 * decrypt a stored secret would fail the build, not leak.
 */
import type { Kysely } from 'kysely';
import { escapeControl, reports, store, type Clock } from '../../../core/index.ts';
import { accountPath, clusterPath, customerPath, link, vaPath } from '../paths.ts';
import type { Cell, Column, ListPage, TableSpec } from '../types.ts';

export type Db = Kysely<store.Database>;

export const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);
/** `2026-12-01 03:00 UTC`, for a date inside a sentence (a bare ISO cell is shown that way too). */
export const utc = (d: Date): string => `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
export const day = (d: Date | null | undefined): string | null =>
  d ? d.toISOString().slice(0, 10) : null;

export function list(title: string, intro: string, tables: TableSpec[] = []): ListPage {
  return { title, intro, facts: [], charts: [], tables, notes: [] };
}

export function groupBy<T, K>(rows: readonly T[], key: (r: T) => K): Map<K, T[]> {
  const m = new Map<K, T[]>();
  for (const r of rows) {
    const k = key(r);
    const l = m.get(k);
    if (l) l.push(r);
    else m.set(k, [r]);
  }
  return m;
}

/** Parses the Service Inventory text into its rows (cells between the pipes), for a table. */
export function siRows(text: string): Record<string, Cell>[] {
  const rows: Record<string, Cell>[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (!line.startsWith('|SUMMARY|')) continue;
    const cells = line.split('|').slice(1, -1);
    const [, kind, ...rest] = cells;
    const row: Record<string, Cell> = { kind: kind ?? '' };
    rest.forEach((c, i) => (row[`c${i}`] = c));
    rows.push(row);
  }
  return rows;
}

/** The Service Inventory row kinds and their fields after `|SUMMARY|<kind>|` (DOMAIN §8). */
export const SI_KINDS: { kind: string; labels: string[]; numbers: number[] }[] = [
  {
    kind: 'PLMINFO',
    labels: [
      'LM, source, subscription, expiry, model',
      'App code',
      'Version',
      'License type',
      'Installed',
      'Required',
      'Available',
      'Status',
    ],
    numbers: [4, 5, 6],
  },
  {
    kind: 'CUSTLICENSEINFO',
    labels: [
      'LM, source',
      '~',
      '~',
      'Customer',
      'App code',
      'Cluster address',
      'License type',
      'Count',
    ],
    numbers: [7],
  },
  {
    kind: 'SITELICENSEINFO',
    labels: ['~', '~', 'Customer', '~', 'License type', 'Count'],
    numbers: [5],
  },
];

/** Rows per page of a paged list (the Cluster Summary); the build may set another. */
export const LIST_PAGE_SIZE = 500;

/** Long lists are cut on the Overview (it stays light); the full lists have their own pages. */
export const OVERVIEW_ROWS = 50;

/** Days of the usage trend across VAs on the Overview (one point a day). */
export const TREND_DAYS = 90;

export const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** The read models and helpers every page module uses (one load per build). */
export async function loadContext(db: Db, clock: Clock) {
  const now = clock.now();
  const repos = store.createRepositories(db, store.SecretBox.random(), clock);
  const missing: string[] = [];

  const [accounts, vaRows, clusterRows, failedRows, customers, overview, compliance, custUsage] =
    await Promise.all([
      reports.smartAccountSummary(db, { now }),
      reports.virtualAccountSummary(db),
      reports.clusterSummary(db, { now }),
      reports.clusterSummary(db, { now, filter: { failed: true } }),
      repos.customers.list(),
      reports.statusOverview(db, { now }),
      reports.complianceOverview(db, { now }),
      reports.customerUsage(db),
    ]);
  const [hlmVa, hlmCustomer, si, whatif, totals, trendTotals, mirrors, versions] =
    await Promise.all([
      reports.hlmReport(db, { level: 'va' }),
      reports.hlmReport(db, { level: 'customer' }),
      reports.serviceInventory(db),
      reports.whatIfInputs(db),
      reports.licenseTotals(db),
      reports.usageTrendTotals(db, { from: new Date(now.getTime() - TREND_DAYS * 86_400_000) }),
      reports.satelliteMirrors(db),
      reports.dataVersions(db),
    ]);
  const mirrorOf = new Map(mirrors.map((m) => [m.satelliteVaId, m]));
  const mirroredBy = groupBy(mirrors, (m) => m.cloudVaId);

  const saById = new Map(accounts.map((a) => [a.id, a]));
  const vaById = new Map(vaRows.map((v) => [v.id, v]));
  const custById = new Map(customers.map((c) => [c.id, c]));
  const custByName = new Map(customers.map((c) => [c.name, c]));
  const failedIds = new Set(failedRows.map((c) => c.id));
  const saLink = (id: number | null | undefined): Cell => {
    const a = id == null ? undefined : saById.get(id);
    return a ? link(a.name || a.domain, accountPath(a.id, a.domain)) : null;
  };
  const vaLink = (id: number | null | undefined): Cell => {
    const v = id == null ? undefined : vaById.get(id);
    return v ? link(v.name, vaPath(v.id, v.name)) : null;
  };
  const vaLabelLink = (label: string | null): Cell => {
    const v = label === null ? undefined : vaByLabel.get(label);
    return v ? link(v.label, vaPath(v.id, v.name)) : label;
  };
  const vaByLabel = new Map(vaRows.map((v) => [v.label, v]));
  const lmLink = (label: string | null, text: string | null): Cell => {
    const v = label === null ? undefined : vaByLabel.get(label);
    return v && text ? link(text, vaPath(v.id, v.name)) : text;
  };
  const custLink = (id: number | null | undefined): Cell => {
    const c = id == null ? undefined : custById.get(id);
    return c ? link(c.name, customerPath(c.id, c.name)) : null;
  };
  const custNameLink = (name: string): Cell => {
    const c = custByName.get(name);
    return c ? link(c.name, customerPath(c.id, c.name)) : name;
  };
  const syncs = accounts.map((a) => a.lastSyncUp).filter((d): d is Date => d !== null);
  const dataAsOf = syncs.length ? iso(new Date(Math.max(...syncs.map((d) => d.getTime())))) : null;

  // Cluster Summary (DOMAIN §7.6) with the effective lifecycle.
  const clusterColumns: Column[] = [
    { key: 'name', label: 'Name' },
    { key: 'customer', label: 'Customer', filter: true },
    { key: 'type', label: 'Type', filter: true },
    { key: 'version', label: 'Version', filter: true },
    { key: 'sa', label: 'Smart Account', filter: true },
    { key: 'va', label: 'Virtual Account', filter: true },
    { key: 'status', label: 'Status', filter: true },
    { key: 'jobStatus', label: 'Job Status', filter: true },
    { key: 'registration', label: 'Registration', filter: true },
    { key: 'registrationExpires', label: 'Registration expires', kind: 'date' },
    { key: 'authorization', label: 'Authorization', filter: true },
    { key: 'authorizationExpires', label: 'Authorization expires', kind: 'date' },
    { key: 'daysLeft', label: 'Days left', kind: 'number' },
    { key: 'daysLeftOf', label: 'Days left of' },
  ];
  const clusterRow = (c: reports.ClusterSummaryRow): Record<string, Cell> => ({
    name: link(c.name, clusterPath(c.id, c.name)),
    customer: custLink(c.customerId) ?? c.customer,
    type: c.type,
    version: c.version,
    sa: c.smartAccountDomain,
    va: c.virtualAccountId === null ? null : (vaLink(c.virtualAccountId) ?? c.virtualAccount),
    status: c.status,
    jobStatus: c.jobStatus,
    registration: c.registration,
    registrationExpires: iso(c.lifecycle.registrationExpires),
    authorization: c.authorization,
    authorizationExpires: iso(c.lifecycle.authorizationExpires),
    daysLeft: c.daysLeft,
    daysLeftOf: c.daysLeftOf,
    failed: failedIds.has(c.id) ? 1 : 0,
  });
  const clustersTable = (
    id: string,
    caption: string,
    rows: readonly reports.ClusterSummaryRow[],
    drop: string[] = [],
  ): TableSpec => ({
    id,
    caption,
    columns: clusterColumns.filter((c) => !drop.includes(c.key)),
    rows: rows.map(clusterRow),
    toggles: [{ key: 'failed', label: 'Failed only' }],
    empty: 'No clusters.',
  });
  const clusterById = new Map(clusterRows.map((c) => [c.id, c]));
  const clusterLinkById = (id: number): Cell => {
    const c = clusterById.get(id);
    return c ? link(c.name, clusterPath(c.id, c.name)) : null;
  };
  // What needs attention: the open alerts, one list (core's read model); every page shows the
  // part that concerns it, with the alert's id, severity and title as `alerts` shows them.
  const attentionColumns: Column[] = [
    { key: 'id', label: 'Alert', kind: 'number' },
    { key: 'severity', label: 'Severity', filter: true },
    { key: 'about', label: 'About' },
    { key: 'title', label: 'Alert' },
    { key: 'action', label: 'Recommended action' },
    { key: 'plan', label: 'Transfers that cover it (rebalance)' },
    { key: 'due', label: 'Action due', kind: 'date' },
  ];
  const attentionRow = (a: reports.AttentionItem): Record<string, Cell> => {
    const id = Number(a.entity.id);
    const about =
      a.entity.kind === 'cluster'
        ? clusterLinkById(id)
        : a.entity.kind === 'VA'
          ? vaLink(id)
          : a.entity.kind === 'customer'
            ? custLink(id)
            : a.entity.kind === 'SA'
              ? saLink(id)
              : null;
    return {
      id: a.id,
      severity: a.severity,
      about: about ?? a.subject,
      title: a.message,
      action: a.action,
      due: iso(a.dueAt),
    };
  };
  const attentionTable = (
    items: readonly reports.AttentionItem[],
    caption: string,
    empty = 'No open alert concerns it.',
  ): TableSpec => ({
    id: 'attention',
    caption: `${caption} (${items.length})`,
    columns: attentionColumns,
    rows: items.map(attentionRow),
    empty,
  });
  const clustersByVa = groupBy(clusterRows, (c) => c.virtualAccountId);
  const clustersByCustomer = groupBy(clusterRows, (c) => c.customerId);

  // Smart Account Summary (DOMAIN §7.7).
  const accountColumns: Column[] = [
    { key: 'name', label: 'Name' },
    { key: 'domain', label: 'Domain' },
    { key: 'type', label: 'Type', filter: true },
    { key: 'status', label: 'Status', filter: true },
    { key: 'vas', label: 'VA#', kind: 'number' },
    { key: 'lastSync', label: 'Last SyncUp', kind: 'date' },
    { key: 'syncStatus', label: 'Last sync result', filter: true },
    { key: 'alerts', label: 'Alerts', kind: 'number' },
    { key: 'critical', label: 'Critical', kind: 'number' },
    { key: 'satellite', label: 'Satellite sync overdue', filter: true },
  ];
  const accountRow = (a: reports.SmartAccountSummaryRow): Record<string, Cell> => ({
    name: link(a.name || a.domain, accountPath(a.id, a.domain)),
    domain: a.domain,
    type: a.typeLabel,
    status: a.status,
    vas: a.virtualAccounts,
    lastSync: iso(a.lastSyncUp),
    syncStatus: a.lastSyncStatus,
    alerts: a.alerts.open,
    critical: a.alerts.critical,
    satellite: a.source === 'satellite' ? (a.satelliteSyncOverdue ? 'overdue' : 'no') : '',
    failed: a.lastSyncStatus !== null && a.lastSyncStatus !== 'Success' ? 1 : 0,
  });

  // Virtual Account Summary (DOMAIN §7.7) and beyond.
  const vaColumns: Column[] = [
    { key: 'name', label: 'Name' },
    { key: 'sa', label: 'SA Name', filter: true },
    { key: 'access', label: 'Access Level', filter: true },
    { key: 'clusters', label: 'Clusters #', kind: 'number' },
    { key: 'customers', label: 'Customer#', kind: 'number' },
    { key: 'mode', label: 'License mode', filter: true },
    { key: 'role', label: 'Role', filter: true },
    { key: 'compliance', label: 'Compliance', filter: true },
    { key: 'short', label: 'Short types' },
    { key: 'shortage', label: 'Shortage', kind: 'number' },
    { key: 'missing', label: 'Missing in CSSM since' },
  ];
  const vaRow = (v: reports.VirtualAccountSummaryRow): Record<string, Cell> => ({
    name: link(v.name, vaPath(v.id, v.name)),
    sa: saLink(v.smartAccountId) ?? v.smartAccountName,
    access: v.accessLevel,
    clusters: v.clusters,
    customers: v.customers,
    mode: v.licenseMode,
    role: v.role,
    compliance: v.compliance,
    short: v.shortTypes.join(', '),
    shortage: v.shortage,
    missing: v.missingSince === null ? null : `${utc(v.missingSince)} (${v.missingSyncs} syncs)`,
    failed: v.compliance === 'Out of Compliance' ? 1 : 0,
  });
  const vasByAccount = groupBy(vaRows, (v) => v.smartAccountId);

  // The rebalance plan (core's read model): each VA page shows the transfers it takes part in.
  const rebalance = await reports.rebalance(db, { now });

  // Customers: HLM-style counts per license type and status.
  const hlmCustomerRows = hlmCustomer.level === 'customer' ? hlmCustomer.rows : [];
  const hlmByCustomer = groupBy(hlmCustomerRows, (r) => r.customer);
  const usageByCustomer = groupBy(custUsage, (r) => r.customerId);
  const complianceByCustomer = new Map(compliance.customers.map((r) => [r.name, r]));

  const complianceColumns = (what: string): Column[] => [
    { key: 'name', label: what },
    { key: 'compliance', label: 'Compliance', filter: true },
    { key: 'short', label: 'Short types' },
    { key: 'shortage', label: 'Shortage', kind: 'number' },
    { key: 'trouble', label: 'Clusters in trouble', kind: 'number' },
    { key: 'clusters', label: 'Clusters', kind: 'number' },
  ];
  const complianceRow = (r: reports.ComplianceRow, name: Cell): Record<string, Cell> => ({
    name,
    compliance: r.compliance,
    short: r.shortTypes.join(', '),
    shortage: r.shortage,
    trouble: r.clustersInTrouble,
    clusters: r.clusters,
    failed: r.compliance === 'Out of Compliance' ? 1 : 0,
  });

  return {
    db,
    clock,
    now,
    repos,
    missing,
    accounts,
    vaRows,
    clusterRows,
    customers,
    overview,
    compliance,
    hlmVa,
    hlmCustomer,
    si,
    whatif,
    totals,
    trendTotals,
    mirrors,
    mirrorOf,
    mirroredBy,
    versions,
    vaById,
    dataAsOf,
    saLink,
    vaLink,
    vaLabelLink,
    lmLink,
    custLink,
    custNameLink,
    clusterColumns,
    clustersTable,
    clusterById,
    clusterLinkById,
    attentionTable,
    clustersByVa,
    clustersByCustomer,
    accountColumns,
    accountRow,
    vaColumns,
    vaRow,
    vasByAccount,
    rebalance,
    hlmByCustomer,
    usageByCustomer,
    complianceByCustomer,
    complianceColumns,
    complianceRow,
  };
}

export type SiteContext = Awaited<ReturnType<typeof loadContext>>;

/**
 * Every text the pages (and their CSV downloads, built in the browser from the same rows) show
 * has its control characters escaped by core's one rule: a name cannot hide ESC, NUL or a
 * bidi override in a page. Line ends stay (multi-line texts such as the SI report).
 */
export function showable<T>(v: T): T {
  if (typeof v === 'string') return escapeControl(v, { keepLines: true }) as T;
  if (Array.isArray(v)) return v.map((x: unknown) => showable(x)) as T;
  if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = showable(x);
    return out as T;
  }
  return v;
}
