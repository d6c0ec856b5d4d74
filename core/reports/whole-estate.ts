/**
 * The whole-estate answers of chat (`status`, `clusters`, `clusters --failed`, `alerts`,
 * `alerts --muted` with no other filter), named once: the handlers ask the read cache for them
 * by these keys, and a refresher (read-model-refresher.ts) computes them all together, on one
 * snapshot of the database and one `now`, so each is computed as its handler would.
 *
 * The Cluster Summary goes as a page (`ClusterPage`: the rows a chat message shows, the count,
 * whether any row is by the timers), not whole: at scale 1000 the whole list is ~10 MB to
 * serialize, move, hold and decode in each command worker after every round, for a message
 * that shows 25 rows. A terminal (not fed) still computes and prints every row.
 */
import type { Alert, AlertListFilter } from '../store/repositories/alerts.repository.ts';
import { clusterFailed, clusterSummary, type ClusterSummaryRow } from './clusters.ts';
import type { ReportDb } from './common.ts';
import { statusOverview } from './overview.ts';

export const WHOLE_ESTATE_KEYS = [
  'status',
  'clusters:page',
  'clusters:failed:page',
  'alerts:open',
  'alerts:muted',
] as const;
export type WholeEstateKey = (typeof WHOLE_ESTATE_KEYS)[number];

/** The rows of a Cluster Summary page: what a chat message shows (bot/commands MAX_TABLE_ROWS). */
export const CLUSTER_PAGE_ROWS = 25;

/** The head of a Cluster Summary, as chat shows it. */
export interface ClusterPage {
  /** The first CLUSTER_PAGE_ROWS rows, in the summary's order. */
  rows: ClusterSummaryRow[];
  /** Rows in the whole summary. */
  total: number;
  /** Whether any row of the whole summary has its states by the timers (the footnote). */
  timers: boolean;
}

export function clusterPage(rows: readonly ClusterSummaryRow[]): ClusterPage {
  return {
    rows: rows.slice(0, CLUSTER_PAGE_ROWS),
    total: rows.length,
    timers: rows.some((c) => c.lifecycle.source === 'timers'),
  };
}

/** The open alerts of the estate (AlertsRepository.list over the same connection). */
export type ListAlerts = (filter: AlertListFilter, at: Date) => Promise<Alert[]>;

/** The filter of the alerts list each alerts key stands for. */
export function wholeEstateAlertFilter(key: 'alerts:open' | 'alerts:muted'): AlertListFilter {
  return { state: 'open', includeMuted: key === 'alerts:muted' };
}

/**
 * Every whole-estate answer as of `now`. The Cluster Summary is read once: `status` counts it
 * and `clusters --failed` is its rows that `clusterFailed` keeps, in the same order (the
 * `failed` filter of clusterSummary is that predicate applied after the lifecycle); both are
 * sent as their chat page.
 */
export async function wholeEstateModels(
  db: ReportDb,
  listAlerts: ListAlerts,
  now: Date,
): Promise<Record<WholeEstateKey, unknown>> {
  const clusters = await clusterSummary(db, { now });
  const status = await statusOverview(db, { now, clusters });
  return {
    status,
    'clusters:page': clusterPage(clusters),
    'clusters:failed:page': clusterPage(clusters.filter(clusterFailed)),
    'alerts:open': await listAlerts(wholeEstateAlertFilter('alerts:open'), now),
    'alerts:muted': await listAlerts(wholeEstateAlertFilter('alerts:muted'), now),
  };
}
