/**
 * The whole-estate answers of chat (`status`, `clusters`, `clusters --failed`, `alerts`,
 * `alerts --muted` with no other filter), named once: the handlers ask the read cache for them
 * by these keys, and a refresher (read-model-refresher.ts) computes them all together, on one
 * snapshot of the database and one `now`, so each is computed as its handler would.
 */
import type { Alert, AlertListFilter } from '../store/repositories/alerts.repository.ts';
import { clusterFailed, clusterSummary } from './clusters.ts';
import type { ReportDb } from './common.ts';
import { statusOverview } from './overview.ts';

export const WHOLE_ESTATE_KEYS = [
  'status',
  'clusters',
  'clusters:failed',
  'alerts:open',
  'alerts:muted',
] as const;
export type WholeEstateKey = (typeof WHOLE_ESTATE_KEYS)[number];

/** The open alerts of the estate (AlertsRepository.list over the same connection). */
export type ListAlerts = (filter: AlertListFilter, at: Date) => Promise<Alert[]>;

/** The filter of the alerts list each alerts key stands for. */
export function wholeEstateAlertFilter(key: 'alerts:open' | 'alerts:muted'): AlertListFilter {
  return { state: 'open', includeMuted: key === 'alerts:muted' };
}

/**
 * Every whole-estate answer as of `now`. The Cluster Summary is read once: `status` counts it
 * and `clusters --failed` is its rows that `clusterFailed` keeps, in the same order (the
 * `failed` filter of clusterSummary is that predicate applied after the lifecycle).
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
    clusters,
    'clusters:failed': clusters.filter(clusterFailed),
    'alerts:open': await listAlerts(wholeEstateAlertFilter('alerts:open'), now),
    'alerts:muted': await listAlerts(wholeEstateAlertFilter('alerts:muted'), now),
  };
}
