/**
 * The list pages (Overview, the summaries, Jobs, Alerts, Reports), the report downloads and the
 * what-if's input: whole-estate pages, loaded once per build from the shared read models.
 */
import { reports, store } from '../../../core/index.ts';
import { accountPath, link } from '../paths.ts';
import type {
  Cell,
  Column,
  Download,
  ListPage,
  SiteData,
  TableSpec,
  WhatIfData,
} from '../types.ts';
import {
  LIST_PAGE_SIZE,
  OVERVIEW_ROWS,
  SI_KINDS,
  TREND_DAYS,
  XLSX,
  day,
  iso,
  list,
  siRows,
  showable,
  type SiteContext,
} from './context.ts';

/** Every list page's data and the downloads; the entity pages are left empty (streamed). */
export async function listPages(
  ctx: SiteContext,
): Promise<{ data: SiteData; workbooks: () => Promise<Map<string, Buffer>> }> {
  const {
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
    dataAsOf,
    saLink,
    vaLink,
    vaLabelLink,
    custLink,
    custNameLink,
    clustersTable,
    clusterById,
    clusterLinkById,
    attentionTable,
    accountColumns,
    accountRow,
    vaColumns,
    vaRow,
    complianceByCustomer,
    complianceColumns,
    complianceRow,
  } = ctx;

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
  // The Service Inventory text parsed once for its three tables.
  const siParsed = siRows(si);
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
        rows: siParsed
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
      ['hlm-va.xlsx', await reports.hlmXlsx(hlmVa, now)],
      ['hlm-customer.xlsx', await reports.hlmXlsx(hlmCustomer, now)],
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
    accountPages: [],
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
    vaPages: [],
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
    customerPages: [],
    clusters: list(
      'Cluster Summary',
      'HCM-F’s columns and statuses, the effective registration and authorization (from the stored history and the timers), expiry dates and days left.',
      [{ ...clustersTable('clusters', 'Clusters', clusterRows), paged: true }],
    ),
    clusterPages: [],
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
