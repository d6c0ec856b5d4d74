/**
 * core/store: SQLite or PostgreSQL through kysely (dialect.ts says what differs). Open,
 * migrate, then build repositories:
 *
 *   const h = await openStore({ path, url, clock }); // url: postgres://… (db.url), else SQLite
 *   // (openDatabase({ path, clock }) opens SQLite alone, synchronously)
 *   await migrateToLatest(h.db);
 *   const box = new SecretBox(resolveSecretKey({ envValue, dbPath: path }).key);
 *   await verifySecretKey(h.db, box, h.clock);
 *   const repos = createRepositories(h.db, box, h.clock);
 *   await transaction(h.db, box, async (r) => { ... }, h.clock); // one account's sync
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.ts';
import { systemClock } from '../clock.ts';
import type { SecretBox } from './crypto.ts';
import { AlertsRepository } from './repositories/alerts.repository.ts';
import { AuditRepository } from './repositories/audit.repository.ts';
import { ChatThreadsRepository } from './repositories/chat-threads.repository.ts';
import { ChatUsersRepository } from './repositories/chat-users.repository.ts';
import { ClustersRepository } from './repositories/clusters.repository.ts';
import { ClusterImportRepository } from './repositories/cluster-import.repository.ts';
import { ConfirmationTicketsRepository } from './repositories/confirmation-tickets.repository.ts';
import { McpTokensRepository } from './repositories/mcp-tokens.repository.ts';
import { CustomersRepository } from './repositories/customers.repository.ts';
import { DevicesRepository } from './repositories/devices.repository.ts';
import { JobsRepository } from './repositories/jobs.repository.ts';
import { LeaderLeasesRepository } from './repositories/leader-leases.repository.ts';
import { LicensesRepository } from './repositories/licenses.repository.ts';
import { LocalAccountsRepository } from './repositories/local-accounts.repository.ts';
import { inTransaction } from './repositories/mapping.ts';
import { NotificationsRepository } from './repositories/notifications.repository.ts';
import { SettingsRepository } from './repositories/settings.repository.ts';
import { SmartAccountsRepository } from './repositories/smart-accounts.repository.ts';
import { SubscriptionsRepository } from './repositories/subscriptions.repository.ts';
import { SyncLeasesRepository } from './repositories/sync-leases.repository.ts';
import { TokensRepository } from './repositories/tokens.repository.ts';
import { UsageSnapshotsRepository } from './repositories/usage-snapshots.repository.ts';
import { VirtualAccountsRepository } from './repositories/virtual-accounts.repository.ts';
import type { Database } from './schema.ts';

export * from './schema.ts';
export { openDatabase, openStore, isMemoryPath } from './database.ts';
export type {
  DatabaseHandle,
  OpenDatabaseOptions,
  OpenStoreOptions,
  StoreHandle,
} from './database.ts';
export { PG_MIN_VERSION_NUM, isPostgresUrl, openPostgres, redactDatabaseUrl } from './postgres.ts';
export type { PostgresHandle } from './postgres.ts';
export { dialectOf } from './dialect.ts';
export type { DialectName } from './dialect.ts';
export { packColumns, tableColumns } from './packed.ts';
export type { PackedColumns } from './packed.ts';
export { MIGRATION_VERSIONS_TABLE, migrateToLatest, pendingMigrations } from './migrate.ts';
export { checkIntegrity, damagedDatabaseError } from './integrity.ts';
export type { IntegrityResult } from './integrity.ts';
export {
  diskFullError,
  freeSpace,
  formatBytes,
  isNoSpace,
  storageError,
} from './storage-errors.ts';
export { MIGRATIONS } from './migrations/index.ts';
export { SecretBox, hashSecret, keyFilePath, resolveSecretKey } from './crypto.ts';
export type { ResolveSecretKeyOptions, ResolvedSecretKey, SecretKeySource } from './crypto.ts';
export { backupDatabase } from './backup.ts';
export { checkKey, verifySecretKey } from './key-check.ts';
export { copyKeyFileBeside, isSmartlicSqliteFile, restoreSqliteBackup } from './backup-restore.ts';
export { copySqliteToPostgres } from './copy.ts';
export {
  LOGICAL_BACKUP_FORMAT,
  exportLogicalBackup,
  restoreLogicalBackup,
} from './logical-backup.ts';
export {
  backupFileKind,
  readLogicalBackupLines,
  writeLogicalBackupFile,
} from './logical-backup-file.ts';
export type { BackupFileKind, LogicalBackupFileResult } from './logical-backup-file.ts';
export type {
  LogicalBackupHeader,
  LogicalExportResult,
  LogicalRestoreResult,
} from './logical-backup.ts';
export type { CopyResult } from './copy.ts';
export type { BackupResult } from './backup.ts';
export type { SqliteRestoreOptions, SqliteRestoreResult } from './backup-restore.ts';
export * from './repositories/alerts.repository.ts';
export * from './repositories/audit.repository.ts';
export { AuditQueue, type AuditQueueOptions } from './audit-queue.ts';
export * from './repositories/chat-threads.repository.ts';
export * from './repositories/chat-users.repository.ts';
export * from './repositories/clusters.repository.ts';
export * from './repositories/cluster-import.repository.ts';
export * from './repositories/confirmation-tickets.repository.ts';
export * from './repositories/mcp-tokens.repository.ts';
export * from './repositories/customers.repository.ts';
export * from './repositories/devices.repository.ts';
export * from './repositories/jobs.repository.ts';
export * from './repositories/leader-leases.repository.ts';
export * from './repositories/licenses.repository.ts';
export * from './repositories/local-accounts.repository.ts';
export * from './repositories/notifications.repository.ts';
export * from './repositories/settings.repository.ts';
export * from './repositories/smart-accounts.repository.ts';
export * from './repositories/subscriptions.repository.ts';
export * from './repositories/sync-leases.repository.ts';
export * from './repositories/tokens.repository.ts';
export * from './repositories/usage-snapshots.repository.ts';
export * from './repositories/virtual-accounts.repository.ts';

export interface Repositories {
  smartAccounts: SmartAccountsRepository;
  localAccounts: LocalAccountsRepository;
  virtualAccounts: VirtualAccountsRepository;
  licenses: LicensesRepository;
  usageSnapshots: UsageSnapshotsRepository;
  customers: CustomersRepository;
  clusters: ClustersRepository;
  clusterImport: ClusterImportRepository;
  tokens: TokensRepository;
  devices: DevicesRepository;
  jobs: JobsRepository;
  alerts: AlertsRepository;
  subscriptions: SubscriptionsRepository;
  chatUsers: ChatUsersRepository;
  audit: AuditRepository;
  settings: SettingsRepository;
  syncLeases: SyncLeasesRepository;
  notifications: NotificationsRepository;
  confirmationTickets: ConfirmationTicketsRepository;
  chatThreads: ChatThreadsRepository;
  mcpTokens: McpTokensRepository;
  leaderLeases: LeaderLeasesRepository;
}

/** Every repository over one connection or transaction (`db` may be a kysely Transaction). */
export function createRepositories(
  db: Kysely<Database>,
  secrets: SecretBox,
  clock: Clock = systemClock,
): Repositories {
  return {
    smartAccounts: new SmartAccountsRepository(db, secrets, clock),
    localAccounts: new LocalAccountsRepository(db, secrets, clock),
    virtualAccounts: new VirtualAccountsRepository(db, secrets, clock),
    licenses: new LicensesRepository(db, secrets, clock),
    usageSnapshots: new UsageSnapshotsRepository(db, secrets, clock),
    customers: new CustomersRepository(db, secrets, clock),
    clusters: new ClustersRepository(db, secrets, clock),
    clusterImport: new ClusterImportRepository(db, secrets, clock),
    tokens: new TokensRepository(db, secrets, clock),
    devices: new DevicesRepository(db, secrets, clock),
    jobs: new JobsRepository(db, secrets, clock),
    alerts: new AlertsRepository(db, secrets, clock),
    subscriptions: new SubscriptionsRepository(db, secrets, clock),
    chatUsers: new ChatUsersRepository(db, secrets, clock),
    audit: new AuditRepository(db, secrets, clock),
    settings: new SettingsRepository(db, secrets, clock),
    syncLeases: new SyncLeasesRepository(db, secrets, clock),
    notifications: new NotificationsRepository(db, secrets, clock),
    confirmationTickets: new ConfirmationTicketsRepository(db, secrets, clock),
    chatThreads: new ChatThreadsRepository(db, secrets, clock),
    mcpTokens: new McpTokensRepository(db, secrets, clock),
    leaderLeases: new LeaderLeasesRepository(db, secrets, clock),
  };
}

/**
 * Runs `fn` in one SQLite transaction with repositories bound to it: everything `fn` writes
 * commits together, or nothing does if it throws (the error is rethrown). Inside an existing
 * transaction it simply joins it (SQLite has no nested transactions through kysely).
 */
export async function transaction<T>(
  db: Kysely<Database>,
  secrets: SecretBox,
  fn: (repos: Repositories, trx: Kysely<Database>) => Promise<T>,
  clock: Clock = systemClock,
): Promise<T> {
  if (db.isTransaction) return fn(createRepositories(db, secrets, clock), db);
  return inTransaction(db, (trx) => fn(createRepositories(trx, secrets, clock), trx));
}
