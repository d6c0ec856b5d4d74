/**
 * The service container: every core use case, built once over the same ports (database,
 * secrets, repositories, clock, logger, config, client factory). bin/ builds it; bot/ and
 * site/ reach it through core/index.ts. Add a service by name below.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import type { Database } from '../store/schema.ts';
import type { SecretBox } from '../store/crypto.ts';
import type { Repositories, SmartAccount } from '../store/index.ts';
import { DAY_MS } from '../domain/lifecycle.ts';
import { ClientFactory } from './clients.ts';
import { ConfirmationService } from './confirmations.service.ts';
import { McpTokenService } from './mcp-tokens.service.ts';
import { AccountLeases } from './account-lease.ts';
import { JobRunner } from './jobs.service.ts';
import { processRunner } from './runner.ts';
import { ProvisionService } from './provision.service.ts';
import {
  SyncService,
  type AfterSyncHook,
  type AfterSyncRunHook,
  type SyncOutcome,
} from './sync.service.ts';
import { TokensService } from './tokens.service.ts';
import { VirtualAccountsService } from './virtual-accounts.service.ts';
import { ClustersService } from './clusters.service.ts';
import { MigrationService } from './migration.service.ts';
import { AlertService } from './alerts.service.ts';
import { TransfersService } from './transfers.service.ts';
import { ProductInstancesService } from './product-instances.service.ts';

export interface ServiceDeps {
  db: Kysely<Database>;
  secrets: SecretBox;
  repos: Repositories;
  clock: Clock;
  logger: Logger;
  config: Config;
  /** Injected in tests that want to count requests; built from config otherwise. */
  clients?: ClientFactory;
  /** Where HTTP answers and sync outcomes are reported (bin/ builds it; none by default). */
  metrics?: Metrics;
  /** Sync tuning (see SyncService). */
  sync?: { deepReadMaxAgeMs?: number; clusterStatusMaxAgeMs?: number };
}

export interface ServiceHooks {
  /** Run after every account sync (success or failure), in order; errors are logged. */
  afterSync: AfterSyncHook[];
  /** Run once after each sync run (all accounts, or one), in order; errors are logged. */
  afterSyncRun: AfterSyncRunHook[];
}

export interface Services {
  deps: ServiceDeps;
  hooks: ServiceHooks;
  clients: ClientFactory;
  jobs: JobRunner;
  sync: SyncService;
  provision: ProvisionService;
  tokens: TokensService;
  virtualAccounts: VirtualAccountsService;
  clusters: ClustersService;
  migration: MigrationService;
  /** Alert rules after every sync, their stored lifecycle and the event port (issue 9). */
  alerts: AlertService;
  /** One-time confirmations of destructive commands asked from chat (issue 20). */
  confirmations: ConfirmationService;
  /** License transfers between VAs of one Smart Account (issue 25). */
  transfers: TransfersService;
  /** Removing a registered product instance from CSSM (RMA, decommissioning; issue 25). */
  productInstances: ProductInstancesService;
  /** MCP bearer tokens (issue 26). */
  mcpTokens: McpTokenService;
  /** Waits for running syncs, then closes every HTTP connection. */
  close(): Promise<void>;
}

export function createServices(deps: ServiceDeps): Services {
  const { db, secrets, repos, clock, logger, config } = deps;
  const hooks: ServiceHooks = { afterSync: [], afterSyncRun: [] };
  const clients =
    deps.clients ??
    new ClientFactory({
      config,
      clock,
      logger,
      ...(deps.metrics ? { metrics: deps.metrics } : {}),
    });
  const runner = processRunner();
  const jobs = new JobRunner({
    jobs: repos.jobs,
    audit: repos.audit,
    clock,
    logger,
    runner,
    // Account writes exclude syncs of the account, across processes and instances.
    accountLeases: new AccountLeases({
      repo: repos.syncLeases,
      runner,
      logger,
      ttlMs: config.sync.leaseTtlMs,
    }),
    accountWaitMs: config.sync.lockWaitMs,
  });
  const sync = new SyncService({
    db,
    secrets,
    repos,
    clock,
    logger,
    config,
    clients,
    jobs,
    afterSync: hooks.afterSync,
    afterSyncRun: hooks.afterSyncRun,
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
    ...deps.sync,
  });
  const provision = new ProvisionService({
    db,
    secrets,
    repos,
    clock,
    logger,
    config,
    clients,
    jobs,
    sync,
  });
  const cssmFor = (a: SmartAccount) => clients.cssmForAccount(a, repos);
  const tokens = new TokensService({
    repos,
    jobs,
    clock,
    cssmFor,
    defaultExpiresAfterDays: config.sync.tokenExpiresAfterDays,
  });
  const virtualAccounts = new VirtualAccountsService({ repos, jobs, clock });
  const clusters = new ClustersService({
    repos,
    jobs,
    clock,
    logger,
    tokens,
    virtualAccounts,
    ucFor: (c) => clients.uc(c, repos),
    cssmFor,
  });
  const migration = new MigrationService({ repos });
  // DOMAIN §7.4: new clusters auto-register, and failed auto-registrations are retried, at each sync.
  // Outcomes whose auto-registration started a job: their alerts (job-failed) must be re-read.
  const autoRegistered = new WeakSet<SyncOutcome>();
  hooks.afterSync.push(async (o) => {
    if (o.status === 'Completed') {
      const r = await clusters.autoRegister({
        requestedBy: 'auto-registration',
        forDomain: o.domain,
      });
      if (r.registered.length > 0 || r.failed.length > 0) autoRegistered.add(o);
    }
  });
  // Retention: a sync appends one usage snapshot per VA and type; past the configured age one a
  // day is kept (the day's last), which is all a trend or forecast reads. It thins the whole
  // history, so once per sync run, not once per account.
  hooks.afterSyncRun.push(async (outcomes) => {
    if (!outcomes.some((o) => o.status === 'Completed')) return;
    const before = new Date(clock.now().getTime() - config.sync.snapshotDailyAfterDays * DAY_MS);
    await repos.usageSnapshots.thin(before);
  });
  // Issue 9: alerts are evaluated after the sync and after auto-registration (its jobs count).
  const alerts = new AlertService({ db, repos, clock, logger, config });
  hooks.afterSync.push(async (o) => {
    await alerts.afterSync(o, { force: autoRegistered.has(o) });
  });
  hooks.afterSyncRun.push(async (outcomes) => {
    await alerts.afterSyncRun(outcomes);
  });
  const confirmations = new ConfirmationService({
    tickets: repos.confirmationTickets,
    clock,
    ttlMinutes: config.bot.confirmMinutes,
  });
  const transfers = new TransfersService({ db, repos, jobs, clock, cssmFor, sync });
  const productInstances = new ProductInstancesService({ repos, jobs, cssmFor, sync });
  return {
    deps,
    hooks,
    clients,
    jobs,
    sync,
    provision,
    tokens,
    virtualAccounts,
    clusters,
    migration,
    alerts,
    confirmations,
    transfers,
    productInstances,
    mcpTokens: new McpTokenService({ tokens: repos.mcpTokens, clock }),
    async close() {
      await sync.drain();
      await alerts.drain();
      await clients.close();
    },
  };
}

export { ClientFactory, publisherUrl, transportFor } from './clients.ts';
export type { CssmEndpoint, CssmHandle, SatelliteStatus } from './clients.ts';
export { JobRunner, JobFailedError } from './jobs.service.ts';
export { ConfirmationService } from './confirmations.service.ts';
export type { Redemption, TicketQuestion, TicketRefusal } from './confirmations.service.ts';
export type { JobHandle, JobSpec } from './jobs.service.ts';
export { ProvisionService } from './provision.service.ts';
export type { ProvisionRequest, ProvisionResult } from './provision.service.ts';
export { SyncService, SATELLITE_SYNC_OVERDUE_DAYS, satelliteSyncOverdue } from './sync.service.ts';
export { TokensService, maskToken } from './tokens.service.ts';
export type { TokenView } from './tokens.service.ts';
export { VirtualAccountsService } from './virtual-accounts.service.ts';
export { ClustersService } from './clusters.service.ts';
export type { ClusterSummary, AutoRegistrationReport } from './clusters.service.ts';
export { MigrationService } from './migration.service.ts';
export { TransfersService } from './transfers.service.ts';
export type {
  TransferChunkResult,
  TransferInput,
  TransferPlan,
  TransferResult,
} from './transfers.service.ts';
export { ProductInstancesService } from './product-instances.service.ts';
export type { ProductInstanceRemoval } from './product-instances.service.ts';
export type { CustomerMigrationPlan } from './migration.service.ts';
export type {
  AfterSyncHook,
  AfterSyncRunHook,
  SyncCounts,
  SyncOptions,
  SyncOutcome,
  SyncPhase,
  SyncProgress,
} from './sync.service.ts';
export {
  AlertService,
  alertThresholds,
  parseDuration,
  scheduleIntervalMs,
} from './alerts.service.ts';
export type { AlertEvaluation } from './alerts.service.ts';
export { AlertEvents } from './alert-events.ts';
export type { AlertEvent, AlertListener } from './alert-events.ts';
