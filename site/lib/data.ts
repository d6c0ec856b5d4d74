/**
 * What the pages show, read through core (read-only) and shaped into the site's view types
 * (site/lib/types.ts). Summaries and rules come from core's read models; this file only picks
 * fields, formats and links them. Nothing secret is read: the repositories get a throw-away
 * key, so any attempt to decrypt a stored secret fails the build instead of leaking it.
 */
import type { Kysely } from 'kysely';
import { store, type Clock } from '../../core/index.ts';
import { accountPath, clusterPath, customerPath, link, vaPath } from './paths.ts';
import type { Cell, ChartSpec, EntityPage, ListPage, SiteData, TableSpec } from './types.ts';

type Db = Kysely<store.Database>;

const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);

function list(title: string, intro: string, tables: TableSpec[] = []): ListPage {
  return { title, intro, facts: [], charts: [], tables, notes: [] };
}

export async function loadSiteData(db: Db, clock: Clock): Promise<SiteData> {
  const repos = store.createRepositories(db, store.SecretBox.random(), clock);
  const missing: string[] = [];
  const [accounts, vas, customers, clusters] = await Promise.all([
    repos.smartAccounts.list(),
    repos.virtualAccounts.listAll(),
    repos.customers.list(),
    repos.clusters.list(),
  ]);
  const saById = new Map(accounts.map((a) => [a.id, a]));
  const vaById = new Map(vas.map((v) => [v.id, v]));
  const custById = new Map(customers.map((c) => [c.id, c]));
  const saLink = (id: number | null | undefined): Cell => {
    const a = id == null ? undefined : saById.get(id);
    return a ? link(a.name || a.domain, accountPath(a.id, a.domain)) : null;
  };
  const vaLink = (id: number | null | undefined): Cell => {
    const v = id == null ? undefined : vaById.get(id);
    return v ? link(v.name, vaPath(v.id, v.name)) : null;
  };
  const custLink = (id: number | null | undefined): Cell => {
    const c = id == null ? undefined : custById.get(id);
    return c ? link(c.name, customerPath(c.id, c.name)) : null;
  };
  const syncs = accounts.map((a) => a.lastSyncAt).filter((d): d is Date => d !== null);
  const dataAsOf = syncs.length ? iso(new Date(Math.max(...syncs.map((d) => d.getTime())))) : null;

  const clusterRow = (c: store.Cluster): Record<string, Cell> => {
    const va = c.virtualAccountId == null ? undefined : vaById.get(c.virtualAccountId);
    return {
      name: link(c.name, clusterPath(c.id, c.name)),
      customer: custLink(c.customerId),
      type: c.type,
      version: c.version,
      sa: va ? saLink(va.smartAccountId) : null,
      va: vaLink(c.virtualAccountId),
      status: c.status,
      registration: c.registrationStatus,
      registrationExpires: iso(c.registrationExpires),
      authorization: c.authorizationStatus,
      authorizationExpires: iso(c.authorizationExpires),
      failed: c.status?.includes('Failed') ? 1 : 0,
    };
  };
  const clusterColumns: TableSpec['columns'] = [
    { key: 'name', label: 'Name' },
    { key: 'customer', label: 'Customer', filter: true },
    { key: 'type', label: 'Type', filter: true },
    { key: 'version', label: 'Version', filter: true },
    { key: 'sa', label: 'Smart Account' },
    { key: 'va', label: 'Virtual Account', filter: true },
    { key: 'status', label: 'Status', filter: true },
    { key: 'registration', label: 'Registration' },
    { key: 'registrationExpires', label: 'Registration expires', kind: 'date' },
    { key: 'authorization', label: 'Authorization' },
    { key: 'authorizationExpires', label: 'Authorization expires', kind: 'date' },
  ];

  const accountsPage = list(
    'Smart Account Summary',
    'Every provisioned Smart Account and satellite local account.',
    [
      {
        id: 'smart-accounts',
        caption: 'Smart Accounts',
        columns: [
          { key: 'name', label: 'Name' },
          { key: 'domain', label: 'Domain' },
          { key: 'type', label: 'Type', filter: true },
          { key: 'status', label: 'Status', filter: true },
          { key: 'source', label: 'Source', filter: true },
          { key: 'lastSync', label: 'Last SyncUp', kind: 'date' },
          { key: 'syncStatus', label: 'Last sync', filter: true },
        ],
        rows: accounts.map((a) => ({
          name: link(a.name || a.domain, accountPath(a.id, a.domain)),
          domain: a.domain,
          type: a.type,
          status: a.status,
          source: a.source === 'satellite' ? 'Satellite' : 'CSSM',
          lastSync: iso(a.lastSyncAt),
          syncStatus: a.lastSyncStatus,
        })),
        empty: 'No account is provisioned yet.',
      },
    ],
  );

  const accountPages: EntityPage[] = accounts.map((a) => ({
    path: accountPath(a.id, a.domain),
    title: a.name || a.domain,
    kind: 'Smart Account',
    facts: [
      { label: 'Domain', value: a.domain },
      { label: 'Type', value: a.type },
      { label: 'Status', value: a.status },
      { label: 'Source', value: a.source === 'satellite' ? 'Satellite' : 'CSSM' },
      { label: 'Transport', value: a.transportMode },
      { label: 'Last SyncUp', value: iso(a.lastSyncAt) },
      { label: 'Last sync', value: a.lastSyncStatus },
      { label: 'Last sync error', value: a.lastSyncError },
    ],
    charts: [],
    tables: [
      {
        id: 'virtual-accounts',
        caption: 'Virtual Accounts',
        columns: [
          { key: 'name', label: 'Name' },
          { key: 'access', label: 'Access Level' },
          { key: 'mode', label: 'License mode' },
          { key: 'role', label: 'Role' },
        ],
        rows: vas
          .filter((v) => v.smartAccountId === a.id)
          .map((v) => ({
            name: vaLink(v.id),
            access: v.commerceAccessLevel,
            mode: v.licenseMode,
            role: v.role,
          })),
      },
    ],
    notes: [],
  }));

  const vaPages: EntityPage[] = [];
  for (const v of vas) {
    const [licenses, subs, snaps] = await Promise.all([
      repos.licenses.listByVirtualAccount(v.id),
      repos.licenses.listSubstitutions(v.id),
      repos.usageSnapshots.series({ virtualAccountId: v.id }),
    ]);
    const times = [...new Set(snaps.map((s) => s.takenAt.toISOString()))].sort();
    const types = [...new Set(snaps.map((s) => s.licenseType))].sort();
    const charts: ChartSpec[] = [];
    if (licenses.length > 0) {
      charts.push({
        id: 'owned-in-use',
        title: 'Owned versus in use per license type',
        kind: 'bar',
        xLabel: 'License type',
        labels: licenses.map((l) => l.displayName),
        series: [
          { label: 'Owned', data: licenses.map((l) => l.quantity) },
          { label: 'In use', data: licenses.map((l) => l.inUse) },
        ],
      });
    }
    if (times.length > 0) {
      const at = new Map(
        snaps.map((s) => [`${s.takenAt.toISOString()}|${s.licenseType}`, s.inUse]),
      );
      charts.push({
        id: 'trend',
        title: 'In use over the usage snapshots',
        kind: 'line',
        xLabel: 'Snapshot',
        labels: times.map((t) => t.slice(0, 16).replace('T', ' ')),
        series: types.map((ty) => ({
          label: ty,
          data: times.map((t) => at.get(`${t}|${ty}`) ?? null),
        })),
      });
    }
    vaPages.push({
      path: vaPath(v.id, v.name),
      title: v.name,
      kind: 'Virtual Account',
      charts,
      facts: [
        { label: 'Smart Account', value: saLink(v.smartAccountId) },
        { label: 'Access Level', value: v.commerceAccessLevel },
        { label: 'License mode', value: v.licenseMode },
        { label: 'Role', value: v.role },
        { label: 'Default', value: v.isDefault ? 'yes' : 'no' },
      ],
      tables: [
        {
          id: 'licenses',
          caption: 'Licenses',
          columns: [
            { key: 'license', label: 'License' },
            { key: 'quantity', label: 'Owned', kind: 'number' },
            { key: 'inUse', label: 'In use', kind: 'number' },
            { key: 'available', label: 'Available', kind: 'number' },
            { key: 'reserved', label: 'Reserved', kind: 'number' },
            { key: 'status', label: 'Status', filter: true },
            { key: 'billing', label: 'Billing' },
          ],
          rows: licenses.map((l) => ({
            license: l.displayName,
            quantity: l.quantity,
            inUse: l.inUse,
            available: l.available,
            reserved: l.reserved,
            status: l.status,
            billing: l.billingType,
          })),
          empty: 'CSSM lists no licenses in this VA.',
        },
        {
          id: 'substitutions',
          caption: 'Substitutions (licenses of one type serving requests of another)',
          columns: [
            { key: 'from', label: 'Licenses of' },
            { key: 'to', label: 'Serve requests for' },
            { key: 'quantity', label: 'Quantity', kind: 'number' },
            { key: 'kind', label: 'Substitution type' },
          ],
          rows: subs.map((s) => ({
            from: s.substitutedLicense,
            to: s.licenseName,
            quantity: s.quantity,
            kind: s.substitutionType,
          })),
          empty: 'No substitutions.',
        },
        {
          id: 'terms',
          caption: 'Term details',
          columns: [
            { key: 'license', label: 'License' },
            { key: 'type', label: 'Type' },
            { key: 'quantity', label: 'Quantity', kind: 'number' },
            { key: 'start', label: 'Start', kind: 'date' },
            { key: 'end', label: 'End', kind: 'date' },
            { key: 'subscription', label: 'Subscription id' },
            { key: 'status', label: 'Status' },
          ],
          rows: licenses.flatMap((l) =>
            l.details.map((d) => ({
              license: l.displayName,
              type: d.licenseType,
              quantity: d.quantity,
              start: iso(d.startDate),
              end: iso(d.endDate),
              subscription: d.subscriptionId,
              status: d.status,
            })),
          ),
          empty: 'No term or perpetual details.',
        },
        {
          id: 'clusters',
          caption: 'Clusters drawing on this VA',
          columns: clusterColumns.filter((c) => c.key !== 'va' && c.key !== 'sa'),
          rows: clusters.filter((c) => c.virtualAccountId === v.id).map(clusterRow),
        },
      ],
      notes: [],
    });
  }

  const clusterPages: EntityPage[] = clusters.map((c) => {
    const r = clusterRow(c);
    return {
      path: clusterPath(c.id, c.name),
      title: c.name,
      kind: 'Cluster',
      facts: [
        { label: 'Customer', value: r.customer ?? null },
        { label: 'Type', value: c.type },
        { label: 'Version', value: c.version },
        { label: 'Virtual Account', value: r.va ?? null },
        { label: 'Status', value: c.status },
        { label: 'License mode', value: c.licenseMode },
        { label: 'Transport', value: c.transportMode },
        { label: 'Licensing', value: c.licensing },
        { label: 'Registration', value: c.registrationStatus },
        { label: 'Registered at', value: iso(c.registeredAt) },
        { label: 'Registration expires', value: iso(c.registrationExpires) },
        { label: 'Last renewal attempt', value: iso(c.lastRenewalAttempt) },
        { label: 'Next renewal attempt', value: iso(c.nextRenewalAttempt) },
        { label: 'Authorization', value: c.authorizationStatus },
        { label: 'Authorization expires', value: iso(c.authorizationExpires) },
        { label: 'Last communication', value: iso(c.lastCommunicationAttempt) },
        { label: 'Evaluation days remaining', value: c.evaluationPeriodRemaining },
        { label: 'Export control', value: c.exportControl },
        { label: 'Product UDI', value: c.productUdi },
        { label: 'Last status read', value: iso(c.lastStatusReadAt) },
      ],
      charts: [],
      tables: [],
      notes: [],
    };
  });

  const customerPages: EntityPage[] = customers.map((c) => ({
    path: customerPath(c.id, c.name),
    title: c.name,
    kind: 'Customer',
    facts: [{ label: 'Description', value: c.description }],
    charts: [],
    tables: [
      {
        id: 'clusters',
        caption: 'Clusters',
        columns: clusterColumns.filter((k) => k.key !== 'customer'),
        rows: clusters.filter((k) => k.customerId === c.id).map(clusterRow),
      },
    ],
    notes: [],
  }));

  const jobs = await repos.jobs.list({ limit: 2000 });
  const jobsPage = list(
    'Jobs',
    'Every write smartlic did or tried, newest first, with HCM-F job fields.',
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
          { key: 'code', label: 'Error code' },
          { key: 'by', label: 'Requested by' },
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

  const clustersPage = list(
    'Cluster Summary',
    'HCM-F columns and statuses, with registration and authorization expiry.',
    [
      {
        id: 'clusters',
        caption: 'Clusters',
        columns: clusterColumns,
        rows: clusters.map(clusterRow),
        toggles: [{ key: 'failed', label: 'Failed only' }],
        empty: 'No clusters.',
      },
    ],
  );

  const vasPage = list('Virtual Account Summary', 'Every virtual account of every Smart Account.', [
    {
      id: 'virtual-accounts',
      caption: 'Virtual Accounts',
      columns: [
        { key: 'name', label: 'Name' },
        { key: 'sa', label: 'SA Name', filter: true },
        { key: 'access', label: 'Access Level', filter: true },
        { key: 'mode', label: 'License mode', filter: true },
        { key: 'role', label: 'Role', filter: true },
      ],
      rows: vas.map((v) => ({
        name: vaLink(v.id),
        sa: saLink(v.smartAccountId),
        access: v.commerceAccessLevel,
        mode: v.licenseMode,
        role: v.role,
      })),
    },
  ]);
  const customersPage = list('Customers', 'Every HCS tenant and its clusters.', [
    {
      id: 'customers',
      caption: 'Customers',
      columns: [
        { key: 'name', label: 'Customer' },
        { key: 'description', label: 'Description' },
      ],
      rows: customers.map((c) => ({ name: custLink(c.id), description: c.description })),
    },
  ]);

  missing.push('core/reports (read models) not merged yet');
  const overview = list('Overview', 'Compliance across Smart Accounts, VAs and customers.');
  overview.notes.push('The compliance overview read model is not available in this build.');
  return {
    builtAt: clock.now().toISOString(),
    dataAsOf,
    overview,
    accounts: accountsPage,
    accountPages,
    virtualAccounts: vasPage,
    vaPages,
    customers: customersPage,
    customerPages,
    clusters: clustersPage,
    clusterPages,
    jobs: jobsPage,
    alerts: list('Alerts', 'Open, muted and resolved alerts.'),
    reports: list('Reports', 'HLM and Service Inventory reports.'),
    downloads: [],
    whatif: null,
    missing,
  };
}
