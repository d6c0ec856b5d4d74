/**
 * The page of one cluster: every date, what the product said, where the state comes from.
 * Its data is one row of core's cluster details (read once per build for every cluster).
 */
import { reports } from '../../../core/index.ts';
import { clusterPath } from '../paths.ts';
import type { Cell, EntityPage, Fact } from '../types.ts';
import { iso, type SiteContext } from './context.ts';

export type ClusterDetail = Awaited<ReturnType<typeof reports.clusterDetails>>[number];

/** Every cluster's detail, or those of `ids`, in id order (core's read model). */
export function clusterDetails(
  ctx: SiteContext,
  ids?: readonly number[],
): Promise<ClusterDetail[]> {
  return reports.clusterDetails(ctx.db, { now: ctx.now, ...(ids ? { ids } : {}) });
}

/**
 * What a cluster's page is made of, without reading its detail: its Cluster Summary row (the
 * same lifecycle at the same `now` as the detail's), the links and open alerts the page shows,
 * the data version of the account it draws on (a sync writes its reported status, usage and
 * dates) and the stamp of the writes made outside a sync (its row, jobs, nodes). Two builds
 * with equal keys render the same page. Undefined when no account's sync vouches for the
 * cluster (not in a VA): its detail is always read.
 */
export function clusterKey(ctx: SiteContext, r: reports.ClusterSummaryRow): string | undefined {
  const sa =
    r.virtualAccountId === null ? undefined : ctx.vaById.get(r.virtualAccountId)?.smartAccountId;
  const version = sa === undefined ? undefined : ctx.versions.accounts.get(sa);
  if (version === undefined) return undefined;
  return JSON.stringify([
    version,
    ctx.versions.clusters.get(r.id) ?? null,
    r,
    ctx.custLink(r.customerId),
    ctx.vaLink(r.virtualAccountId),
    reports.attentionFor(ctx.overview.attention, { clusterId: r.id }),
  ]);
}

export function clusterPage(ctx: SiteContext, d: ClusterDetail): EntityPage {
  const { custLink, vaLink, overview, attentionTable } = ctx;
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
  return {
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
  };
}
