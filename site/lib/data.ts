/**
 * What the pages show, read through core's read models (core/reports, read-only) and shaped
 * into the site's view types (site/lib/types.ts). Every count, compliance verdict, lifecycle
 * state, forecast and report comes from core; this file only picks fields, formats, links
 * and groups rows by the page they appear on. Nothing secret is read: the repositories get a
 * throw-away key, so an attempt to decrypt a stored secret would fail the build, not leak.
 */
import type { Kysely } from 'kysely';
import { escapeControl, reports, store, type Clock } from '../../core/index.ts';
import { accountPath, clusterPath, customerPath, link, vaPath } from './paths.ts';
import type {
  Cell,
  ChartSpec,
  Column,
  Download,
  EntityPage,
  Fact,
  ListPage,
  SiteData,
  TableSpec,
  WhatIfData,
} from './types.ts';

type Db = Kysely<store.Database>;

const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);
/** `2026-12-01 03:00 UTC`, for a date inside a sentence (a bare ISO cell is shown that way too). */
const utc = (d: Date): string => `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
const day = (d: Date | null | undefined): string | null =>
  d ? d.toISOString().slice(0, 10) : null;

function list(title: string, intro: string, tables: TableSpec[] = []): ListPage {
  return { title, intro, facts: [], charts: [], tables, notes: [] };
}

function groupBy<T, K>(rows: readonly T[], key: (r: T) => K): Map<K, T[]> {
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
function siRows(text: string): Record<string, Cell>[] {
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
const SI_KINDS: { kind: string; labels: string[]; numbers: number[] }[] = [
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
const OVERVIEW_ROWS = 50;

/** Days of the usage trend across VAs on the Overview (one point a day). */
const TREND_DAYS = 90;

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/**
 * The site's data, and the Excel workbooks (slow to write, not needed by any page: the build
 * writes them while Astro renders).
 */
export async function loadSiteData(
  db: Db,
  clock: Clock,
): Promise<{ data: SiteData; workbooks: () => Promise<Map<string, Buffer>> }> {
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
  const [hlmVa, hlmCustomer, si, whatif, totals, trendTotals, mirrors] = await Promise.all([
    reports.hlmReport(db, { level: 'va' }),
    reports.hlmReport(db, { level: 'customer' }),
    reports.serviceInventory(db),
    reports.whatIfInputs(db),
    reports.licenseTotals(db),
    reports.usageTrendTotals(db, { from: new Date(now.getTime() - TREND_DAYS * 86_400_000) }),
    reports.satelliteMirrors(db),
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

  const accountPages: EntityPage[] = accounts.map((a) => ({
    path: accountPath(a.id, a.domain),
    title: a.name || a.domain,
    kind: 'Smart Account',
    facts: [
      { label: 'Domain', value: a.domain },
      { label: 'Type', value: a.typeLabel },
      { label: 'Status', value: a.status },
      { label: 'VA#', value: a.virtualAccounts },
      { label: 'Last SyncUp', value: iso(a.lastSyncUp) },
      { label: 'Last sync result', value: a.lastSyncStatus },
      { label: 'Last sync error', value: a.lastSyncError },
      { label: 'Open alerts', value: a.alerts.open },
      { label: 'Critical alerts', value: a.alerts.critical },
      ...(a.source === 'satellite'
        ? [
            { label: 'Satellite last sync with CSSM', value: iso(a.satelliteLastSync) },
            { label: 'Satellite sync overdue', value: a.satelliteSyncOverdue ? 'yes' : 'no' },
          ]
        : []),
    ],
    charts: [],
    tables: [
      attentionTable(
        reports.attentionFor(overview.attention, { smartAccountId: a.id }),
        'Needs attention: open alerts',
      ),
      {
        id: 'virtual-accounts',
        caption: 'Virtual Accounts',
        columns: vaColumns.filter((c) => c.key !== 'sa'),
        rows: (vasByAccount.get(a.id) ?? []).map(vaRow),
        empty: 'No virtual accounts.',
      },
    ],
    notes: [],
  }));

  // The rebalance plan (core's read model): each VA page shows the transfers it takes part in.
  const rebalance = await reports.rebalance(db, { now });
  const rebalanceTable = (vaId: number): TableSpec => {
    const mine = rebalance.transfers.filter((t) => t.toVaId === vaId || t.fromVaId === vaId);
    const own = rebalance.proposals.find((p) => p.vaId === vaId);
    const toOrder = own?.remaining
      .map((l) =>
        l.now > 0
          ? `${l.now} ${reports.licenseLabel(l.type)} now`
          : `${l.atHorizon} ${reports.licenseLabel(l.type)} within ${rebalance.horizonDays} days`,
      )
      .join('; ');
    return {
      id: 'rebalance',
      caption: own
        ? `Rebalance: transfers that cover this VA's shortage (${own.dueInDays === 0 ? 'short now' : `short in ${own.dueInDays} days`}); still to order: ${toOrder || 'nothing'}. Nothing is changed until a command is run.`
        : `Rebalance: transfers this VA takes part in (shortages now or within ${rebalance.horizonDays} days). Nothing is changed until a command is run.`,
      columns: [
        { key: 'direction', label: 'Direction', filter: true },
        { key: 'from', label: 'From' },
        { key: 'to', label: 'To' },
        { key: 'license', label: 'License' },
        { key: 'kind', label: 'Type' },
        { key: 'quantity', label: 'Quantity', kind: 'number' },
        { key: 'command', label: 'Command line to run' },
      ],
      rows: mine.map((t) => ({
        direction: t.toVaId === vaId ? 'in' : 'out',
        from: vaLink(t.fromVaId) ?? t.fromVa,
        to: vaLink(t.toVaId) ?? t.toVa,
        license: t.license,
        kind: t.licenseType,
        quantity: t.quantity,
        command: t.command,
      })),
      empty: own
        ? 'No VA of the smart account has a surplus that covers it: order what is listed above.'
        : `No shortage now or within ${rebalance.horizonDays} days concerns this VA.`,
    };
  };

  // A page per VA: usage, substitutions, terms, trend, forecast, clusters.
  const vaPages: EntityPage[] = [];
  for (const v of vaRows) {
    const [usage, trend, fc] = await Promise.all([
      reports.virtualAccountUsage(db, { virtualAccountId: v.id, now }),
      reports.usageTrend(db, { virtualAccountId: v.id }),
      reports.forecast(db, { virtualAccountId: v.id, now }),
    ]);
    const charts: ChartSpec[] = [];
    if (usage.licenses.length > 0) {
      charts.push({
        id: 'owned-in-use',
        title: 'Owned versus in use per license type',
        kind: 'bar',
        xLabel: 'License type',
        labels: usage.licenses.map((l) => l.label),
        series: [
          { label: 'Owned', data: usage.licenses.map((l) => l.owned) },
          { label: 'In use', data: usage.licenses.map((l) => l.inUse) },
        ],
      });
    }
    const times = [
      ...new Set(trend.flatMap((s) => s.points.map((p) => p.at.toISOString()))),
    ].sort();
    if (times.length > 0) {
      charts.push({
        id: 'trend',
        title: 'In use over the usage snapshots',
        kind: 'line',
        xLabel: 'Snapshot',
        labels: times.map((t) => t.slice(0, 16).replace('T', ' ')),
        series: trend.map((s) => {
          const at = new Map(s.points.map((p) => [p.at.toISOString(), p.inUse]));
          return { label: s.label, data: times.map((t) => at.get(t) ?? null) };
        }),
      });
    }
    vaPages.push({
      path: vaPath(v.id, v.name),
      title: v.label,
      kind: 'Virtual Account',
      facts: [
        { label: 'Smart Account', value: saLink(v.smartAccountId) ?? v.smartAccountName },
        { label: 'Access Level', value: v.accessLevel },
        { label: 'License mode', value: v.licenseMode },
        { label: 'Role', value: v.role },
        { label: 'Default VA', value: v.isDefault ? 'yes' : 'no' },
        { label: 'Description', value: v.description },
        { label: 'Compliance', value: usage.compliance },
        { label: 'Clusters #', value: v.clusters },
        { label: 'Customer#', value: v.customers },
        { label: 'Terms ending within 90 days', value: usage.termsEndingSoon.length },
        ...(mirrorOf.has(v.id)
          ? [
              {
                label: 'Mirror of',
                value: vaLink(mirrorOf.get(v.id)!.cloudVaId) ?? mirrorOf.get(v.id)!.cloud,
              },
            ]
          : []),
        ...(mirroredBy.has(v.id)
          ? [
              {
                label: 'Mirrored by satellite',
                value: mirroredBy
                  .get(v.id)!
                  .map((m) => m.satellite)
                  .join(', '),
              },
            ]
          : []),
        ...(v.missingSince !== null
          ? [
              {
                label: 'Missing in CSSM since',
                value: `${utc(v.missingSince)} (${v.missingSyncs} syncs without it; kept with its settings, counts from its last listing)`,
              },
            ]
          : []),
      ],
      charts,
      tables: [
        attentionTable(
          reports.attentionFor(overview.attention, { virtualAccountId: v.id }),
          'Needs attention: open alerts',
        ),
        {
          id: 'licenses',
          caption: 'Licenses',
          columns: [
            { key: 'license', label: 'License' },
            { key: 'type', label: 'Type' },
            { key: 'owned', label: 'Owned', kind: 'number' },
            { key: 'inUse', label: 'In use', kind: 'number' },
            { key: 'available', label: 'Available', kind: 'number' },
            { key: 'reserved', label: 'Reserved', kind: 'number' },
            { key: 'pending', label: 'Pending', kind: 'number' },
            { key: 'shortage', label: 'Shortage', kind: 'number' },
            { key: 'status', label: 'CSSM status', filter: true },
            { key: 'billing', label: 'Billing', filter: true },
          ],
          rows: usage.licenses.map((l) => ({
            license: l.displayName,
            type: l.label,
            owned: l.owned,
            inUse: l.inUse,
            available: l.available,
            reserved: l.reserved,
            pending: l.pending,
            shortage: l.shortage,
            status: l.status,
            billing: l.billingType,
            failed: l.compliant ? 0 : 1,
          })),
          toggles: [{ key: 'failed', label: 'Short only' }],
          empty: 'CSSM lists no licenses in this VA.',
        },
        {
          id: 'substitutions',
          caption: 'Substitutions (licenses of one type serving requests of another)',
          columns: [
            { key: 'text', label: 'What happens' },
            { key: 'lender', label: 'Licenses of' },
            { key: 'borrower', label: 'Serve requests for' },
            { key: 'quantity', label: 'Quantity', kind: 'number' },
            { key: 'kind', label: 'Substitution type' },
          ],
          rows: usage.substitutions.map((s) => ({
            text: s.text,
            lender: s.lenderLabel,
            borrower: s.borrowerLabel,
            quantity: s.quantity,
            kind: s.kind,
          })),
          empty: 'No substitutions: every request is served by its own type.',
        },
        {
          id: 'terms',
          caption: 'Term details',
          columns: [
            { key: 'license', label: 'License' },
            { key: 'kind', label: 'Kind', filter: true },
            { key: 'quantity', label: 'Quantity', kind: 'number' },
            { key: 'start', label: 'Start' },
            { key: 'end', label: 'End' },
            { key: 'daysLeft', label: 'Days left', kind: 'number' },
            { key: 'subscription', label: 'Subscription id' },
            { key: 'status', label: 'Status', filter: true },
          ],
          rows: usage.terms.map((t) => ({
            license: t.label,
            kind: t.kind,
            quantity: t.quantity,
            start: day(t.startDate),
            end: t.endDate ? day(t.endDate) : 'perpetual',
            daysLeft: t.daysLeft,
            subscription: t.subscriptionId,
            status: t.status,
          })),
          empty: 'No term or perpetual details.',
        },
        {
          id: 'forecast',
          caption: `Forecast: when each type runs short at the current trend (least squares over ${fc.windowDays} days)`,
          columns: [
            { key: 'type', label: 'License type' },
            { key: 'owned', label: 'Owned', kind: 'number' },
            { key: 'inUse', label: 'In use', kind: 'number' },
            { key: 'outcome', label: 'Outcome', filter: true },
            { key: 'slope', label: 'Growth per day', kind: 'number' },
            { key: 'crossesAt', label: 'Runs short on' },
            { key: 'daysUntil', label: 'Days until', kind: 'number' },
            { key: 'points', label: 'Snapshots used', kind: 'number' },
          ],
          rows: fc.rows.map((r) => ({
            type: r.label,
            owned: r.owned,
            inUse: r.inUse,
            outcome: r.outcome,
            slope: r.slopePerDay === null ? null : Number(r.slopePerDay.toFixed(3)),
            crossesAt: day(r.crossesAt),
            daysUntil: r.daysUntil,
            points: r.points,
          })),
          empty: 'No usage snapshots yet.',
        },
        rebalanceTable(v.id),
        clustersTable('clusters', 'Clusters drawing on this VA', clustersByVa.get(v.id) ?? [], [
          'sa',
          'va',
        ]),
      ],
      notes: mirrorOf.has(v.id)
        ? [
            `This satellite local account's VA mirrors ${mirrorOf.get(v.id)!.cloud} (the licenses the satellite syncs with CSSM): totals across VAs count them once, from the cloud VA.`,
          ]
        : [],
    });
  }

  // A page per cluster: every date, what the product said, where the state comes from.
  const clusterPages: EntityPage[] = [];
  for (const d of await reports.clusterDetails(db, { now })) {
    const l = d.lifecycle;
    const facts: Fact[] = [
      { label: 'Customer', value: custLink(d.customerId) ?? d.customer },
      { label: 'Type', value: d.type },
      { label: 'Version', value: d.version },
      { label: 'Smart Account', value: d.smartAccountDomain },
      { label: 'Virtual Account', value: vaLink(d.virtualAccountId) ?? d.virtualAccount },
      { label: 'Status', value: d.status },
      { label: 'Job Status', value: d.jobStatus },
      { label: 'Licensing', value: d.licensing },
      { label: 'License mode', value: d.licenseMode },
      { label: 'Transport', value: d.transportMode },
      { label: 'Publisher', value: d.publisherAddress },
      { label: 'Registration', value: d.registration },
      { label: 'Registration expires', value: iso(l.registrationExpires) },
      { label: 'Days until registration expiry', value: l.daysUntilRegistrationExpiry },
      { label: 'Authorization', value: d.authorization },
      { label: 'Authorization expires', value: iso(l.authorizationExpires) },
      { label: 'Days until authorization expiry', value: l.daysUntilAuthorizationExpiry },
      { label: 'Next authorization renewal', value: iso(l.nextAuthorizationRenewal) },
      { label: 'Evaluation days left', value: l.evaluationDaysLeft },
      { label: 'Overage days left', value: l.overageDaysLeft },
      { label: 'Days left', value: d.daysLeft },
      { label: 'Days left of', value: d.daysLeftOf },
      { label: 'State from', value: l.source },
      { label: 'Reachable', value: l.reachable === null ? null : l.reachable ? 'yes' : 'no' },
      { label: 'Unreachable since', value: iso(l.unreachableSince) },
      { label: 'Last read error', value: d.lastReadError },
      { label: 'Last read error at', value: iso(d.lastReadErrorAt) },
      { label: 'Product UDI', value: d.productUdi },
      { label: 'Export control', value: d.exportControl },
    ];
    const r = d.reported;
    clusterPages.push({
      path: clusterPath(d.id, d.name),
      title: d.name,
      kind: 'Cluster',
      facts,
      charts: [],
      notes: [l.basis],
      tables: [
        attentionTable(
          reports.attentionFor(overview.attention, { clusterId: d.id }),
          'Needs attention: open alerts',
        ),
        {
          id: 'reported',
          caption: 'What the product last reported, and the stored dates',
          columns: [
            { key: 'what', label: 'Field' },
            { key: 'value', label: 'Value' },
          ],
          rows: (
            [
              ['Registration (reported)', r.registration],
              ['Registration failed reason', r.registrationFailedReason],
              ['Last renewal attempt', iso(r.lastRenewalAttempt)],
              ['Last renewal status', r.lastRenewalStatus],
              ['Next renewal attempt', iso(r.nextRenewalAttempt)],
              ['Registration expires (reported)', iso(r.registrationExpires)],
              ['Authorization (reported)', r.authorization],
              ['Authorization failed reason', r.authorizationFailedReason],
              ['Last communication attempt', iso(r.lastCommunicationAttempt)],
              ['Last communication status', r.lastCommunicationStatus],
              ['Next communication attempt', iso(r.nextCommunicationAttempt)],
              ['Authorization expires (reported)', iso(r.authorizationExpires)],
              ['Evaluation period remaining (days)', r.evaluationPeriodRemaining],
              ['Installed', iso(d.dates.installedAt)],
              ['Registered', iso(d.dates.registeredAt)],
              ['Last authorization success', iso(d.dates.lastAuthorizationSuccessAt)],
              ['Last ID certificate renewal', iso(d.dates.lastIdRenewalAt)],
              ['Out of compliance since', iso(d.dates.outOfComplianceSince)],
              ['Last status read', iso(d.dates.lastStatusReadAt)],
              ['Added to smartlic', iso(d.dates.createdAt)],
            ] as [string, Cell][]
          ).map(([what, value]) => ({ what, value })),
        },
        {
          id: 'usage',
          caption: 'Licenses the cluster counts',
          columns: [
            { key: 'type', label: 'License type' },
            { key: 'count', label: 'Count', kind: 'number' },
            { key: 'status', label: 'Status' },
            { key: 'readAt', label: 'Read at', kind: 'date' },
          ],
          rows: d.usage.map((u) => ({
            type: u.label,
            count: u.count,
            status: u.status,
            readAt: iso(u.readAt),
          })),
          empty: 'The cluster has reported no license counts.',
        },
        {
          id: 'nodes',
          caption: 'Nodes',
          columns: [
            { key: 'hostname', label: 'Host name' },
            { key: 'address', label: 'Address' },
            { key: 'role', label: 'Role' },
          ],
          rows: d.nodes.map((n) => ({ hostname: n.hostname, address: n.address, role: n.role })),
          empty: 'No nodes recorded.',
        },
        {
          id: 'jobs',
          caption: 'Latest jobs of this cluster',
          columns: [
            { key: 'id', label: 'Id', kind: 'number' },
            { key: 'jobType', label: 'Job Type' },
            { key: 'status', label: 'Status' },
            { key: 'initiated', label: 'Initiated', kind: 'date' },
            { key: 'completed', label: 'Completed', kind: 'date' },
            { key: 'code', label: 'Error code' },
            { key: 'info', label: 'Status Information' },
          ],
          rows: d.jobs.map((j) => ({
            id: j.id,
            jobType: j.jobType,
            status: j.status,
            initiated: iso(j.initiatedAt),
            completed: iso(j.completedAt),
            code: j.errorCode,
            info: j.statusInformation,
          })),
          empty: 'No jobs for this cluster.',
        },
      ],
    });
  }

  // Customers: HLM-style counts per license type and status.
  const hlmCustomerRows = hlmCustomer.level === 'customer' ? hlmCustomer.rows : [];
  const hlmByCustomer = groupBy(hlmCustomerRows, (r) => r.customer);
  const usageByCustomer = groupBy(custUsage, (r) => r.customerId);
  const complianceByCustomer = new Map(compliance.customers.map((r) => [r.name, r]));
  const customerPages: EntityPage[] = customers.map((c) => {
    const comp = complianceByCustomer.get(c.name);
    const alerts = reports.attentionFor(overview.attention, { customerId: c.id });
    return {
      path: customerPath(c.id, c.name),
      title: c.name,
      kind: 'Customer',
      facts: [
        { label: 'Description', value: c.description },
        { label: 'Compliance', value: comp?.compliance ?? null },
        { label: 'Short types', value: comp ? comp.shortTypes.join(', ') : null },
        { label: 'Clusters', value: comp?.clusters ?? null },
        { label: 'Clusters in trouble', value: comp?.clustersInTrouble ?? null },
        { label: 'Open alerts', value: alerts.length },
      ],
      charts: [],
      notes: [],
      tables: [
        attentionTable(alerts, 'Needs attention: open alerts'),
        {
          id: 'hlm',
          caption: 'HLM counts per license type',
          columns: [
            { key: 'lm', label: 'LM Name' },
            { key: 'type', label: 'License Type' },
            { key: 'count', label: 'Count', kind: 'number' },
            { key: 'subscriptions', label: 'Subscription ID' },
            { key: 'status', label: 'Status', filter: true },
          ],
          rows: (hlmByCustomer.get(c.name) ?? []).map((r) => ({
            lm: lmLink(r.virtualAccount, r.lmName),
            type: r.licenseType,
            count: r.count,
            subscriptions: r.subscriptionIds.join(' '),
            status: r.status,
            failed: r.status === 'Non-Compliant' ? 1 : 0,
          })),
          toggles: [{ key: 'failed', label: 'Non-compliant only' }],
          empty: 'The customer’s clusters report no license counts.',
        },
        {
          id: 'usage',
          caption: 'Counts per counted type and the VA they draw on',
          columns: [
            { key: 'va', label: 'Virtual Account', filter: true },
            { key: 'type', label: 'Counted type' },
            { key: 'hcs', label: 'HCS type' },
            { key: 'code', label: 'Report code' },
            { key: 'count', label: 'Count', kind: 'number' },
            { key: 'clusters', label: 'Clusters', kind: 'number' },
          ],
          rows: (usageByCustomer.get(c.id) ?? []).map((u) => ({
            va:
              u.virtualAccountId === null
                ? 'unassigned'
                : (vaLink(u.virtualAccountId) ?? u.virtualAccount),
            type: u.label,
            hcs: u.hcsType,
            code: u.reportCode,
            count: u.count,
            clusters: u.clusters,
          })),
          empty: 'No counts.',
        },
        clustersTable('clusters', 'Clusters', clustersByCustomer.get(c.id) ?? [], ['customer']),
      ],
    };
  });

  // List pages.
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

  const complianceBySa = new Map(compliance.smartAccounts.map((r) => [r.name, r]));
  const saSyncColumns: Column[] = [
    { key: 'name', label: 'Smart Account' },
    { key: 'lastSync', label: 'Last SyncUp', kind: 'date' },
    { key: 'syncStatus', label: 'Sync result', filter: true },
    { key: 'error', label: 'Sync error' },
    ...complianceColumns('Smart Account').slice(1),
  ];
  const saSyncToggles = [
    { key: 'syncFailed', label: 'Failed sync only' },
    { key: 'failed', label: 'Out of compliance only' },
  ];
  const saRows = accounts.map((a): Record<string, Cell> => {
    const c = complianceBySa.get(a.domain);
    return {
      ...(c ? complianceRow(c, null) : {}),
      name: link(a.name || a.domain, accountPath(a.id, a.domain)),
      lastSync: iso(a.lastSyncUp),
      syncStatus: a.lastSyncStatus ?? 'never synced',
      error: a.lastSyncError,
      syncFailed: a.lastSyncStatus !== null && a.lastSyncStatus !== 'Success' ? 1 : 0,
      failed: c?.compliance === 'Out of Compliance' ? 1 : 0,
    };
  });
  const outVas = compliance.virtualAccounts.filter((r) => r.compliance === 'Out of Compliance');
  const outCustomers = compliance.customers.filter((r) => r.compliance === 'Out of Compliance');
  const auth = Object.entries(overview.clusters.byAuthorization).sort((a, b) => b[1] - a[1]);
  const ov: ListPage = {
    title: 'Overview',
    // The same sentence `status` answers with, from the same read model.
    intro: overview.verdict,
    facts: [
      { label: 'Accounts', value: overview.accounts.length },
      { label: 'Virtual accounts', value: overview.virtualAccounts.total },
      { label: 'VAs out of compliance', value: overview.virtualAccounts.outOfCompliance },
      { label: 'Clusters', value: overview.clusters.total },
      { label: 'Clusters failed', value: overview.clusters.failed },
      { label: 'Clusters in trouble', value: overview.clusters.inTrouble },
      { label: 'Clusters unreachable', value: overview.clusters.unreachable },
      {
        label: 'Customers in compliance',
        value: `${overview.customers.compliant} of ${overview.customers.total}`,
      },
      { label: 'Open alerts', value: overview.openAlerts },
      ...(overview.mutedAlerts > 0 ? [{ label: 'Muted alerts', value: overview.mutedAlerts }] : []),
    ],
    charts: [
      {
        id: 'authorization',
        title: 'Clusters by authorization state',
        kind: 'doughnut',
        xLabel: 'Authorization state',
        labels: auth.map(([k]) => k),
        series: [{ label: 'Clusters', data: auth.map(([, n]) => n) }],
      },
      {
        id: 'va-compliance',
        title: 'Virtual accounts in and out of compliance',
        kind: 'doughnut',
        xLabel: 'Compliance',
        labels: ['In Compliance', 'Out of Compliance'],
        series: [
          {
            label: 'Virtual accounts',
            data: [
              overview.virtualAccounts.total - overview.virtualAccounts.outOfCompliance,
              overview.virtualAccounts.outOfCompliance,
            ],
          },
        ],
      },
    ],
    tables: [
      {
        ...attentionTable(
          overview.attention.slice(0, OVERVIEW_ROWS),
          'Needs attention: the open alerts',
          'Nothing needs attention.',
        ),
        caption:
          overview.attention.length > OVERVIEW_ROWS
            ? `Needs attention: the open alerts (the first ${OVERVIEW_ROWS} of ${overview.attention.length}, most severe first; the Alerts page has all)`
            : `Needs attention: the open alerts (${overview.attention.length}, most severe first)`,
      },
      {
        // One row per account, its last sync and its compliance; at hundreds of accounts the
        // Overview shows those in trouble first, and the Smart Account Summary has them all.
        id: 'accounts',
        caption:
          saRows.length > OVERVIEW_ROWS
            ? `Last sync and compliance per Smart Account (the first ${OVERVIEW_ROWS} of ${saRows.length}, failed syncs and out of compliance first; the Smart Account Summary has all)`
            : 'Last sync and compliance per Smart Account',
        columns: saSyncColumns,
        rows: [...saRows]
          .sort(
            (a, b) =>
              Number(b.syncFailed) - Number(a.syncFailed) || Number(b.failed) - Number(a.failed),
          )
          .slice(0, OVERVIEW_ROWS),
        toggles: saSyncToggles,
      },
      {
        id: 'va-compliance-table',
        caption: `Virtual accounts out of compliance (${outVas.length} of ${compliance.virtualAccounts.length}; every VA is on the Virtual Account Summary)`,
        columns: complianceColumns('Virtual Account'),
        rows: outVas.slice(0, OVERVIEW_ROWS).map((r) => complianceRow(r, vaLabelLink(r.name))),
        empty: 'Every virtual account is in compliance.',
      },
      {
        id: 'customer-compliance',
        caption: `Customers out of compliance (${outCustomers.length} of ${compliance.customers.length}; every customer is on the Customers page)`,
        columns: complianceColumns('Customer'),
        rows: outCustomers
          .slice(0, OVERVIEW_ROWS)
          .map((r) => complianceRow(r, custNameLink(r.name))),
        empty: 'Every customer is in compliance.',
      },
      {
        id: 'expiring-terms',
        caption: `Terms ending within ${compliance.withinDays} days`,
        columns: [
          { key: 'va', label: 'Virtual Account' },
          { key: 'license', label: 'License' },
          { key: 'quantity', label: 'Quantity', kind: 'number' },
          { key: 'end', label: 'End' },
          { key: 'daysLeft', label: 'Days left', kind: 'number' },
          { key: 'subscription', label: 'Subscription id' },
        ],
        rows: compliance.expiringTerms.slice(0, OVERVIEW_ROWS).map((t) => ({
          va: vaLink(t.virtualAccountId) ?? t.virtualAccount,
          license: t.label,
          quantity: t.quantity,
          end: day(t.endDate),
          daysLeft: t.daysLeft,
          subscription: t.subscriptionId,
        })),
        empty: 'No term ends soon.',
      },
      clustersTable(
        'expiring-clusters',
        compliance.expiringClusters.length > OVERVIEW_ROWS
          ? `Clusters whose authorization, evaluation or overage runs out within ${compliance.clusterWithinDays} days (the first ${OVERVIEW_ROWS} of ${compliance.expiringClusters.length}; the Cluster Summary has all)`
          : `Clusters whose authorization, evaluation or overage runs out within ${compliance.clusterWithinDays} days`,
        compliance.expiringClusters.slice(0, OVERVIEW_ROWS),
        ['sa', 'registration', 'registrationExpires', 'jobStatus'],
      ),
    ],
    notes: [],
  };
  const alerting = accounts.filter((a) => a.alerts.open > 0);
  if (alerting.length > 0) {
    ov.charts.push({
      id: 'alerts-by-account',
      title: 'Open alerts by severity per account',
      kind: 'bar',
      stacked: true,
      xLabel: 'Account',
      labels: alerting.map((a) => a.name || a.domain),
      series: (['critical', 'warning', 'info'] as const).map((s) => ({
        label: s,
        data: alerting.map((a) => a.alerts[s]),
      })),
    });
  }
  const counted = totals.filter((t) => t.owned > 0 || t.inUse > 0);
  if (counted.length > 0) {
    ov.charts.push({
      id: 'owned-in-use',
      title:
        mirrors.length > 0
          ? 'Owned versus in use per license type, every virtual account added up (satellite mirrors once)'
          : 'Owned versus in use per license type, every virtual account added up',
      kind: 'bar',
      xLabel: 'License type',
      labels: counted.map((t) => t.label),
      series: [
        { label: 'Owned', data: counted.map((t) => t.owned) },
        { label: 'In use', data: counted.map((t) => t.inUse) },
        { label: 'Short (VA by VA)', data: counted.map((t) => t.shortage) },
      ],
    });
  }
  const days = [...new Set(trendTotals.flatMap((s) => s.points.map((p) => p.day)))].sort();
  const used = trendTotals.filter((s) => s.points.some((p) => p.inUse > 0));
  if (days.length > 0 && used.length > 0) {
    ov.charts.push({
      id: 'trend-totals',
      title: `In use per license type across every virtual account, a point a day (last ${TREND_DAYS} days)`,
      kind: 'line',
      xLabel: 'Day',
      labels: days,
      series: used.map((s) => {
        const at = new Map(s.points.map((p) => [p.day, p.inUse]));
        return { label: s.label, data: days.map((d) => at.get(d) ?? null) };
      }),
    });
  }

  const jobs = await repos.jobs.list({ limit: 5000 });
  const jobsPage = list(
    'Jobs',
    'Every write smartlic did or tried, newest first, with HCM-F’s job fields, Cisco’s error code and who asked (the latest 5,000).',
    [
      {
        id: 'jobs',
        caption: 'Jobs',
        columns: [
          { key: 'id', label: 'Id', kind: 'number' },
          { key: 'jobType', label: 'Job Type', filter: true },
          { key: 'entityType', label: 'Entity Type', filter: true },
          { key: 'entityName', label: 'Entity Name' },
          { key: 'initiated', label: 'Date/Time Initiated', kind: 'date' },
          { key: 'completed', label: 'Date/Time Completed', kind: 'date' },
          { key: 'status', label: 'Status', filter: true },
          { key: 'description', label: 'Description' },
          { key: 'info', label: 'Status Information' },
          { key: 'action', label: 'Recommended Action' },
          { key: 'code', label: 'Error code', filter: true },
          { key: 'by', label: 'Requested by', filter: true },
        ],
        toggles: [{ key: 'failed', label: 'Failed only' }],
        rows: jobs.map((j) => ({
          id: j.id,
          jobType: j.jobType,
          entityType: j.entityType,
          entityName: j.entityName,
          initiated: iso(j.initiatedAt),
          completed: iso(j.completedAt),
          status: j.status,
          description: j.description,
          info: j.statusInformation,
          action: j.recommendedAction,
          code: j.errorCode,
          by: j.requestedBy,
          failed: j.status === 'Failed' ? 1 : 0,
        })),
        empty: 'No jobs yet.',
      },
    ],
  );

  const alertList = await repos.alerts.list({ state: 'all' }, now);
  const alertColumns: Column[] = [
    { key: 'severity', label: 'Severity', filter: true },
    { key: 'rule', label: 'Rule', filter: true },
    { key: 'kind', label: 'About', filter: true },
    { key: 'entity', label: 'Name' },
    { key: 'customer', label: 'Customer', filter: true },
    { key: 'title', label: 'Alert' },
    { key: 'action', label: 'Recommended action' },
    { key: 'plan', label: 'Transfers that cover it (rebalance)' },
    { key: 'due', label: 'Action due', kind: 'date' },
    { key: 'firstSeen', label: 'First seen', kind: 'date' },
    { key: 'lastSeen', label: 'Last seen', kind: 'date' },
  ];
  const alertRow = (a: store.Alert): Record<string, Cell> => ({
    severity: a.severity,
    rule: a.rule,
    kind: a.entity.kind,
    entity:
      a.entity.kind === 'cluster'
        ? (clusterLinkById(Number(a.entity.id)) ?? a.entity.name)
        : a.entity.kind === 'VA'
          ? (vaLink(Number(a.entity.id)) ?? a.entity.name)
          : a.entity.kind === 'customer'
            ? (custLink(Number(a.entity.id)) ?? a.entity.name)
            : a.entity.kind === 'SA'
              ? (saLink(Number(a.entity.id)) ?? a.entity.name)
              : a.entity.name,
    customer: a.customer ? (custLink(a.customer.id) ?? a.customer.name) : null,
    title: a.title,
    action: a.action,
    // A shortage alert's proposal (core's rebalance facts): the transfers, each command line to
    // run, and what remains to order.
    plan:
      typeof a.facts.rebalanceTransfers === 'string'
        ? [
            a.facts.rebalanceTransfers,
            typeof a.facts.rebalanceCommands === 'string' ? a.facts.rebalanceCommands : null,
            typeof a.facts.toOrder === 'string' ? `to order: ${a.facts.toOrder}` : null,
          ]
            .filter(Boolean)
            .join('\n')
        : null,
    due: iso(a.dueAt),
    firstSeen: iso(a.firstSeen),
    lastSeen: iso(a.lastSeen),
    resolved: iso(a.resolvedAt),
    mutedUntil: iso(a.mute?.until),
    muteReason: a.mute
      ? [
          a.mute.reason,
          a.mute.mutedBy && `by ${a.mute.mutedBy}`,
          a.mute.by === 'rule' ? '(rule mute)' : null,
        ]
          .filter(Boolean)
          .join(' ')
      : null,
  });
  const openAlerts = alertList.filter((a) => a.state === 'open' && a.mute === null);
  const mutedAlerts = alertList.filter((a) => a.state === 'open' && a.mute !== null);
  const resolvedAlerts = alertList.filter((a) => a.state === 'resolved');
  const alertsPage = list(
    'Alerts',
    'Alerts the rules raised after syncs (open, muted and resolved), most severe first, with the recommended action and when it is due.',
    [
      {
        id: 'alerts-open',
        caption: `Open (${openAlerts.length})`,
        columns: alertColumns,
        rows: openAlerts.map(alertRow),
        empty: 'No open alerts.',
      },
      {
        id: 'alerts-muted',
        caption: `Muted (${mutedAlerts.length})`,
        columns: [
          ...alertColumns,
          { key: 'mutedUntil', label: 'Muted until', kind: 'date' },
          { key: 'muteReason', label: 'Mute' },
        ],
        rows: mutedAlerts.map(alertRow),
        empty: 'No muted alerts.',
      },
      {
        id: 'alerts-resolved',
        caption: `Resolved (${resolvedAlerts.length})`,
        columns: [...alertColumns, { key: 'resolved', label: 'Resolved', kind: 'date' }],
        rows: resolvedAlerts.map(alertRow),
        empty: 'No resolved alerts.',
      },
    ],
  );

  const hlmSpec = (id: string, caption: string, r: reports.HlmReport): TableSpec => {
    const t = reports.hlmTable(r);
    const keys = t.headers.map((_, i) => `c${i}`);
    return {
      id,
      caption,
      columns: t.headers.map((h, i) => ({
        key: keys[i]!,
        label: h,
        ...(t.rows.some((row) => typeof row[i] === 'number') ? { kind: 'number' as const } : {}),
        ...(h === 'Status' || h === 'License Type' ? { filter: true } : {}),
      })),
      rows: t.rows.map((row) => Object.fromEntries(row.map((c, i) => [keys[i]!, c]))),
      empty: 'No rows.',
    };
  };
  const downloads: Download[] = [
    {
      file: 'hlm-va.csv',
      label: 'HLM report per virtual account (CSV)',
      content: reports.hlmCsv(hlmVa),
      mime: 'text/csv',
    },
    {
      file: 'hlm-va.xlsx',
      label: 'HLM report per virtual account (Excel)',
      content: '',
      binary: true,
      mime: XLSX,
    },
    {
      file: 'hlm-customer.csv',
      label: 'HLM report per customer (CSV)',
      content: reports.hlmCsv(hlmCustomer),
      mime: 'text/csv',
    },
    {
      file: 'hlm-customer.xlsx',
      label: 'HLM report per customer (Excel)',
      content: '',
      binary: true,
      mime: XLSX,
    },
    {
      file: 'service-inventory-license-summary.txt',
      label: 'Service Inventory license summary (pipe format)',
      content: si,
      mime: 'text/plain',
    },
  ];
  const reportsPage = list(
    'Reports',
    'The HLM report per virtual account and per customer, and the Service Inventory license summary.',
    [
      hlmSpec('hlm-va', 'HLM report per virtual account', hlmVa),
      hlmSpec('hlm-customer', 'HLM report per customer', hlmCustomer),
      ...SI_KINDS.map((k) => ({
        id: `si-${k.kind.toLowerCase()}`,
        caption: `Service Inventory license summary: ${k.kind} rows`,
        columns: k.labels.map((label, i) => ({
          key: `c${i}`,
          label,
          ...(k.numbers.includes(i) ? { kind: 'number' as const } : {}),
        })),
        rows: siRows(si)
          .filter((r) => r.kind === k.kind)
          .map((r) => {
            const row: Record<string, Cell> = {};
            k.labels.forEach((_, i) => {
              const v = r[`c${i}`] ?? null;
              row[`c${i}`] =
                k.numbers.includes(i) && typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
            });
            return row;
          }),
        empty: `No ${k.kind} rows.`,
      })),
    ],
  );

  const whatifData: WhatIfData = {
    virtualAccounts: whatif.virtualAccounts.map((v) => ({
      id: v.va.id,
      label: v.va.label,
      entitlements: v.entitlements,
    })),
    clusters: whatif.clusters.map((c) => {
      const row = clusterById.get(c.id);
      return {
        id: c.id,
        name: c.name,
        customer: row?.customer ?? '',
        virtualAccountId: c.virtualAccountId,
        requests: c.requests,
      };
    }),
  };

  const workbooks = async () =>
    new Map([
      ['hlm-va.xlsx', await reports.hlmXlsx(hlmVa)],
      ['hlm-customer.xlsx', await reports.hlmXlsx(hlmCustomer)],
    ]);
  const data: SiteData = {
    builtAt: now.toISOString(),
    dataAsOf,
    overview: ov,
    accounts: list(
      'Smart Account Summary',
      'Every provisioned Smart Account and satellite local account (HCM-F’s columns).',
      [
        {
          id: 'smart-accounts',
          caption: 'Smart Accounts',
          columns: accountColumns,
          rows: accounts.map(accountRow),
          toggles: [{ key: 'failed', label: 'Last sync failed only' }],
          empty: 'No account is provisioned yet.',
        },
        {
          id: 'sync-compliance',
          caption: 'Last sync and compliance per Smart Account',
          columns: saSyncColumns,
          rows: saRows,
          toggles: saSyncToggles,
          empty: 'No account is provisioned yet.',
        },
      ],
    ),
    accountPages,
    virtualAccounts: list(
      'Virtual Account Summary',
      'Every virtual account of every Smart Account (HCM-F’s columns, with license mode, role and compliance).',
      [
        {
          id: 'virtual-accounts',
          caption: 'Virtual Accounts',
          columns: vaColumns,
          rows: vaRows.map(vaRow),
          toggles: [{ key: 'failed', label: 'Out of compliance only' }],
        },
      ],
    ),
    vaPages,
    customers: list('Customers', 'Every HCS tenant, its compliance and its clusters.', [
      {
        id: 'customers',
        caption: 'Customers',
        columns: complianceColumns('Customer'),
        rows: customers.map((c) => {
          const r = complianceByCustomer.get(c.name);
          return r
            ? complianceRow(r, custLink(c.id))
            : {
                name: custLink(c.id),
                compliance: null,
                short: '',
                shortage: null,
                trouble: null,
                clusters: null,
              };
        }),
        toggles: [{ key: 'failed', label: 'Out of compliance only' }],
      },
    ]),
    customerPages,
    clusters: list(
      'Cluster Summary',
      'HCM-F’s columns and statuses, the effective registration and authorization (from the stored history and the timers), expiry dates and days left.',
      [{ ...clustersTable('clusters', 'Clusters', clusterRows), paged: true }],
    ),
    clusterPages,
    jobs: jobsPage,
    alerts: alertsPage,
    reports: reportsPage,
    downloads,
    whatif: whatifData,
    listPageSize: LIST_PAGE_SIZE,
    missing,
  };
  return { data: showable(data), workbooks };
}

/**
 * Every text the pages (and their CSV downloads, built in the browser from the same rows) show
 * has its control characters escaped by core's one rule: a name cannot hide ESC, NUL or a
 * bidi override in a page. Line ends stay (multi-line texts such as the SI report).
 */
function showable<T>(v: T): T {
  if (typeof v === 'string') return escapeControl(v, { keepLines: true }) as T;
  if (Array.isArray(v)) return v.map((x: unknown) => showable(x)) as T;
  if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = showable(x);
    return out as T;
  }
  return v;
}
