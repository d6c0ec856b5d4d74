/** The page of one Smart Account (or satellite local account): its facts, alerts and VAs. */
import { reports } from '../../../core/index.ts';
import { accountPath } from '../paths.ts';
import type { EntityPage } from '../types.ts';
import { iso, type SiteContext } from './context.ts';

export type AccountRow = SiteContext['accounts'][number];

export function accountPage(ctx: SiteContext, a: AccountRow): EntityPage {
  const { overview, attentionTable, vaColumns, vasByAccount, vaRow } = ctx;
  return {
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
  };
}
