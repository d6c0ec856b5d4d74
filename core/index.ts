/**
 * The face of core: what bot/, site/ and bin/ import. Inner modules stay private to core.
 * Groups whose names would collide are exported as namespaces.
 */
export * from './errors.ts';
export * from './clock.ts';
export * from './log.ts';
export { REDACTED, redactText, redactOptional, redactUrl, registerSecret } from './redact.ts';
export * from './config.ts';
export * from './metrics.ts';
export { failRequest, guardRequests, type ListenerName } from './http-guard.ts';
export { escapeControl, type EscapeOptions } from './text.ts';
export * as catalog from './domain/catalog.ts';
export * as allocation from './domain/allocation.ts';
export * as lifecycle from './domain/lifecycle.ts';
export * as compliance from './domain/compliance.ts';
export * as versions from './domain/versions.ts';
export * as migration from './domain/migration.ts';
export * as transfers from './domain/transfers.ts';
export * as alerts from './domain/alerts.ts';
export type {
  AlertCandidate,
  AlertEntity,
  AlertEntityKind,
  AlertFacts,
  AlertRule,
  AlertScope,
  AlertSeverity,
  AlertThresholds,
} from './domain/alerts.ts';
export * as store from './store/index.ts';
export * as cssm from './cssm/index.ts';
export * as uc from './uc/index.ts';
export * as reports from './reports/index.ts';
export {
  JobRunner,
  JobFailedError,
  type JobSpec,
  type JobHandle,
} from './services/jobs.service.ts';
export { SyncScheduler } from './services/scheduler.ts';
export {
  AlertEvents,
  type AlertEvent,
  type AlertEventKind,
  type AlertListener,
  type SubscribeOptions,
} from './services/alert-events.ts';
export {
  AlertService,
  alertThresholds,
  parseDuration,
  type AlertEvaluation,
} from './services/alerts.service.ts';
export { McpTokenService, MCP_TOKEN_PREFIX, hashMcpSecret } from './services/mcp-tokens.service.ts';
// bot/ reaches the service container through this face (bin/ builds it).
export type { Services, ClusterSummary, TokenView } from './services/index.ts';
export type {
  TransferChunkResult,
  TransferInput,
  TransferPlan,
  TransferResult,
  ProductInstanceRemoval,
} from './services/index.ts';
export type { SyncOutcome, SyncProgress, AutoRegistrationReport } from './services/index.ts';
export type { ProvisionRequest, ProvisionResult } from './services/index.ts';
export type { VaSettingsReport, VaSettingsRow } from './services/virtual-accounts.service.ts';
export { InventoryService, type CustomerSummary } from './services/inventory.service.ts';
export { checkPublisher } from './services/doctor.service.ts';
export {
  IMPORT_COLUMNS,
  detectFormat as detectImportFormat,
  parseImportFile,
  parseSecretsFile,
  type ImportDraft,
  type ImportFormat,
  type ImportProblem,
  type PasswordRef,
} from './services/clusters/import-file.ts';
export {
  importSummary,
  type ClusterImportInput,
  type ClusterImportReport,
  type ClusterImportRow,
} from './services/clusters/bulk-import.ts';
