/**
 * What a sync takes and gives back (options, progress, outcome) and the ports every part of
 * the sync shares. The parts: sync.service.ts (orchestration: leases, jobs, order of steps),
 * sync-fetch.ts (the reads from CSSM and the publishers), sync-incremental.ts (what may be
 * skipped), sync-guard.ts (what may not be applied), sync-tokens.ts (token refresh),
 * sync-persist.ts (the one transaction that writes it all).
 */
import type { Metrics } from '../metrics.ts';
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import type { Repositories } from '../store/index.ts';
import type { Database } from '../store/schema.ts';
import type { SecretBox } from '../store/crypto.ts';
import type { ClientFactory } from './clients.ts';
import type { JobRunner } from './jobs.service.ts';
import type { UnknownVaRecords } from './sync-guard.ts';

export { SATELLITE_SYNC_OVERDUE_DAYS, satelliteSyncOverdue } from '../domain/compliance.ts';

export type SyncPhase =
  | 'connect'
  | 'virtual-accounts'
  | 'licenses'
  | 'tokens'
  | 'devices'
  | 'clusters'
  | 'token-refresh'
  | 'write'
  | 'done';

export interface SyncProgress {
  accountId: number;
  domain: string;
  phase: SyncPhase;
  /** Units done / total within the phase (requests or clusters); 0/0 when not countable. */
  done: number;
  total: number;
}

export interface SyncOptions {
  /** Who asked: `cli:<user>`, `scheduler`, `slack:U123`, … */
  requestedBy: string;
  /** Read everything, whatever the fingerprint and timers say. */
  full?: boolean;
  /**
   * Apply a listing even when it drops a large share of what the account had (the operator
   * checked that CSSM really lost them). Missing VAs are still only marked missing.
   */
  acceptDrop?: boolean;
  onProgress?: (p: SyncProgress) => void;
  correlationId?: string;
}

export interface SyncCounts {
  virtualAccounts: number;
  licenses: number;
  tokens: number;
  devices: number;
  /** Clusters assigned to the account's VAs. */
  clusters: number;
  /** Of those, read from their publisher in this sync. */
  clustersRead: number;
  tokensRefreshed: number;
  snapshots: number;
}

export interface SyncErrorInfo {
  code: string;
  message: string;
  action?: string;
}

export interface SyncOutcome {
  accountId: number;
  domain: string;
  name: string;
  source: 'cssm' | 'satellite';
  status: 'Completed' | 'Failed';
  jobId: number | null;
  /** True when this call joined a sync of the same account already running. */
  joined: boolean;
  startedAt: Date;
  finishedAt: Date;
  durationMs: number;
  /** HTTP attempts during this sync (shared counters: overlapping syncs blur it). */
  requests: number;
  /** Whether the VA list or license answer differed from the previous sync. */
  changed: boolean;
  /** What incremental sync left out, in words (`devices`, `tokens`, `3 cluster status reads`). */
  skipped: string[];
  counts: SyncCounts;
  /** Clusters whose status could not be read (the sync still completes; old status kept). */
  clusterErrors: { cluster: string; clusterId?: number; code: string; message: string }[];
  satellite?: { lastSync: Date | null; overdue: boolean; syncMode?: string };
  /** VAs CSSM no longer lists: kept with the operator's settings, marked since when. */
  missing: { name: string; since: Date; syncs: number }[];
  /** VAs removed by this sync after `sync.removeMissingAfterSyncs` agreeing syncs. */
  removed: string[];
  /** License / device records naming a VA the VA list lacks (not stored, reported). */
  unknownVaRecords: UnknownVaRecords[];
  error?: SyncErrorInfo;
}

/**
 * Where one account's sync spent its wall time, ms, step by step (the steps run one after
 * the other for an account; accounts overlap). `fetch` is every read, CSSM's and the
 * publishers' at once; `write` the one SQLite transaction, during which this process's event
 * loop is held (better-sqlite3 is synchronous); `hooks` the afterSync hooks (alert evaluation).
 * Emitted as the `timings` event, for the sync bench and whoever wants to see a slow step.
 */
export interface SyncTimings {
  accountId: number;
  domain: string;
  lease: number;
  fetch: number;
  check: number;
  tokens: number;
  write: number;
  hooks: number;
  total: number;
}

export type AfterSyncHook = (outcome: SyncOutcome) => Promise<void> | void;
/**
 * Run once after a sync run: after `syncAll` with every outcome, after a lone `syncAccount`
 * with its one. For work whose cost does not depend on one account (retention thins the whole
 * usage history): once per run, not once per account.
 */
export type AfterSyncRunHook = (outcomes: readonly SyncOutcome[]) => Promise<void> | void;

export interface SyncServiceDeps {
  db: Kysely<Database>;
  secrets: SecretBox;
  repos: Repositories;
  clock: Clock;
  logger: Logger;
  config: Config;
  clients: ClientFactory;
  jobs: JobRunner;
  /** Run after every account sync, success or failure; errors are logged, never thrown. */
  afterSync: AfterSyncHook[];
  /** Run once after each sync run (see AfterSyncRunHook); errors are logged, never thrown. */
  afterSyncRun?: AfterSyncRunHook[];
  /** Longest time tokens and devices go unread when nothing else changed. Default 24 h. */
  deepReadMaxAgeMs?: number;
  /** Longest time a cluster's status goes unread. Default 6 h (CUCM usage recount). */
  clusterStatusMaxAgeMs?: number;
  /** Told of every account sync's outcome and duration. */
  metrics?: Metrics;
}

/** The deps with the tuning resolved: what each part of the sync is handed. */
export interface SyncContext extends SyncServiceDeps {
  deepReadMaxAgeMs: number;
  clusterStatusMaxAgeMs: number;
}

export type Emit = (phase: SyncPhase, done?: number, total?: number) => void;
