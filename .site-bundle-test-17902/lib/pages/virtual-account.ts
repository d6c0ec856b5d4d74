/**
 * The page of one virtual account: usage, substitutions, terms, trend, forecast, the rebalance
 * transfers it takes part in and its clusters. Three queries of its own (usage, trend,
 * forecast), so one VA's page can be loaded alone.
 */
import { reports } from '../../../core/index.ts';
import { vaPath } from '../paths.ts';
import type { ChartSpec, EntityPage, TableSpec } from '../types.ts';
import { day, utc, type SiteContext } from './context.ts';

export type VaRow = SiteContext['vaRows'][number];

function rebalanceTable(ctx: SiteContext, vaId: number): TableSpec {
  const { rebalance, vaLink } = ctx;

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
}

export async function vaPage(ctx: SiteContext, v: VaRow): Promise<EntityPage> {
  const {
    db,
    now,
    saLink,
    vaLink,
    mirrorOf,
    mirroredBy,
    overview,
    attentionTable,
    clustersTable,
    clustersByVa,
  } = ctx;
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
  const times = [...new Set(trend.flatMap((s) => s.points.map((p) => p.at.toISOString())))].sort();
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
  return {
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
      rebalanceTable(ctx, v.id),
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
  };
}
