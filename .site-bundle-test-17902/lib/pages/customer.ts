/** The page of one customer (HCS tenant): compliance, alerts, HLM counts, usage, clusters. */
import { reports } from '../../../core/index.ts';
import { customerPath } from '../paths.ts';
import type { EntityPage } from '../types.ts';
import type { SiteContext } from './context.ts';

export type CustomerRow = SiteContext['customers'][number];

export function customerPage(ctx: SiteContext, c: CustomerRow): EntityPage {
  const {
    complianceByCustomer,
    overview,
    attentionTable,
    hlmByCustomer,
    lmLink,
    usageByCustomer,
    vaLink,
    clustersTable,
    clustersByCustomer,
  } = ctx;
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
}
