/**
 * core/reports: the read side. Each read model is one typed function over SQL (no query per
 * row) taking the database first; the CLI, the bot and the site render these and compute
 * nothing of their own. See docs/read-models.md for the list.
 */
export * from './common.ts';
export * from './accounts.ts';
export * from './usage.ts';
export * from './clusters.ts';
export * from './compliance.ts';
export * from './attention.ts';
export * from './overview.ts';
export * from './hlm.ts';
export * from './inventory.ts';
export * from './trends.ts';
export * from './totals.ts';
export * from './whatif.ts';
export * from './cells.ts';
export {
  effectiveLifecycle,
  type EffectiveLifecycle,
  type StoredLicensing,
  type DaysLeftOf,
} from '../domain/effective-lifecycle.ts';
export {
  shortageOf,
  isShort,
  complianceOf,
  satelliteSyncOverdue,
  SATELLITE_SYNC_OVERDUE_DAYS,
  type Compliance,
} from '../domain/compliance.ts';
export * from './operations.ts';
export * from './freshness.ts';
export * from './read-cache.ts';
export * from './read-model-refresher.ts';
export * from './whole-estate.ts';
export * from './mirrors.ts';
export * from './rebalance.ts';
export * from './data-versions.ts';
