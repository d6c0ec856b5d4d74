/**
 * The one `Database` interface: kysely's view of every table the migrations create.
 *
 * Storage conventions (repositories translate to domain-ish types):
 * - timestamps are ISO-8601 UTC strings (`Date.toISOString()`), mapped to `Date` by repositories;
 * - booleans are INTEGER 0/1;
 * - JSON columns are TEXT holding `JSON.stringify` output;
 * - columns ending in `_enc` hold `SecretBox` ciphertext (`v1:<iv>:<tag>:<ct>`), never plaintext.
 *
 * Keep this file in step with core/store/migrations/: a new migration that adds a column
 * updates the table type here.
 */
import type { Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { AlertSeverity } from '../domain/alerts.ts';
import type { AppType } from '../domain/catalog.ts';
import type { AuthorizationStatus, RegistrationStatus } from '../domain/lifecycle.ts';
import type { LicenseMode } from '../domain/migration.ts';
import type { LicensingModel } from '../domain/versions.ts';

export type { AlertSeverity, AuthorizationStatus, LicenseMode, RegistrationStatus };

/** 0 or 1: SQLite has no boolean and better-sqlite3 cannot bind `true`/`false`. */
export type SqlBool = number;
/** ISO-8601 UTC timestamp as text. */
export type IsoText = string;
/** JSON as text. */
export type JsonText = string;

export type SmartAccountType = 'CUSTOMER' | 'HOLDING';
export type AccountSource = 'cssm' | 'satellite';
export type TransportMode = 'Direct' | 'Proxy' | 'Satellite';
export type SatelliteSyncMode = 'connected' | 'disconnected';
export type VirtualAccountRole = 'ordered' | 'operational';
/** The application types smart licensing supports (the catalog's `AppType`). */
export type ClusterType = AppType;
/** Cluster Summary statuses (DOMAIN §7.6), spelled as HCM-F shows them. */
export const CLUSTER_STATUSES = [
  'Auto Registered',
  'Manually Registered',
  'Deregistered',
  'Auto Registration Inprogress',
  'Auto Registration Failed',
  'Manual Registration Failed',
  'Deregistration Failed',
  'Auto Deregistration InProgress',
] as const;
export type ClusterStatus = (typeof CLUSTER_STATUSES)[number];
export type LicensingKind = LicensingModel;
export type NodeRole = 'publisher' | 'subscriber';
export type BillingType = 'PREPAID' | 'USAGE';
export type LicenseDetailType = 'TERM' | 'PERPETUAL' | 'DEMO' | 'STANDARD';
export type TokenStatus = 'Active' | 'Revoked' | 'Expired';
export type JobStatus = 'Queued' | 'InProgress' | 'Completed' | 'Failed';
/** 0008: a mute no longer changes the state; rows muted before 0008 were reopened. */
export type AlertState = 'open' | 'resolved';
export type ChatPlatform = 'slack' | 'webex' | 'console';
export type ChatRole = 'viewer' | 'operator' | 'admin';

export interface SmartAccountsTable {
  id: Generated<number>;
  /** CSSM keys an SA by domain (DOMAIN §1); for a satellite, the local account's domain name. */
  domain: string;
  name: string;
  type: SmartAccountType;
  status: string;
  source: AccountSource;
  transport_mode: TransportMode;
  proxy_host: string | null;
  proxy_port: number | null;
  proxy_username: string | null;
  proxy_password_enc: string | null;
  satellite_host: string | null;
  satellite_port: number | null;
  satellite_token_url: string | null;
  satellite_registration_url: string | null;
  /** On-Prem paths are keyed by local account name (DOMAIN §3). */
  local_account_name: string | null;
  client_id: string | null;
  client_secret_enc: string | null;
  last_sync_at: IsoText | null;
  last_sync_status: string | null;
  last_sync_error: string | null;
  created_at: IsoText;
  updated_at: IsoText;
  /** 0002: OAuth token URL of this account; NULL = config `cssm.tokenUrl`. */
  token_url: string | null;
  /** 0002: API root of this account; NULL = config `cssm.apiBase`. */
  api_base: string | null;
  /** 0002: the sync service's incremental state (JSON, no secrets). */
  sync_state: JsonText | null;
  /** 0011: device-list API root of a cloud account; NULL = config `cssm.devicesApiBase`. */
  devices_api_base: string | null;
  /** 0018: bumped each time a sync records its result (see the migration); the site's cue. */
  data_version: Generated<number>;
}

export interface LocalAccountsTable {
  id: Generated<number>;
  name: string;
  smart_account_id: number | null;
  satellite_host: string;
  sync_mode: SatelliteSyncMode;
  last_cssm_sync_at: IsoText | null;
  created_at: IsoText;
  updated_at: IsoText;
}

export interface VirtualAccountsTable {
  id: Generated<number>;
  smart_account_id: number;
  name: string;
  description: string | null;
  is_default: SqlBool;
  commerce_access_level: string | null;
  /** HCM-F only: CSSM has no such field (DOMAIN §1). */
  license_mode: LicenseMode | null;
  role: VirtualAccountRole | null;
  created_at: IsoText;
  updated_at: IsoText;
  /** First sync whose VA list lacked this VA; null while CSSM lists it (0003). */
  missing_since: IsoText | null;
  /** Consecutive syncs whose VA list lacked it (0003). */
  missing_syncs: Generated<number>;
  /** When it was removed; the row stays for its usage history (0003). */
  removed_at: IsoText | null;
}

export interface CustomersTable {
  id: Generated<number>;
  name: string;
  description: string | null;
  smart_account_id: number | null;
  created_at: IsoText;
  updated_at: IsoText;
}

export interface ClustersTable {
  id: Generated<number>;
  customer_id: number;
  name: string;
  type: ClusterType;
  version: string | null;
  publisher_address: string;
  admin_username: string | null;
  admin_password_enc: string | null;
  license_mode: LicenseMode | null;
  transport_mode: TransportMode | null;
  transport_url: string | null;
  virtual_account_id: number | null;
  status: ClusterStatus | null;
  licensing: LicensingKind;
  /** AXL schema override (0004); NULL: the newest the cluster's release serves. */
  axl_schema_version: string | null;
  registration_status: RegistrationStatus | null;
  registered_at: IsoText | null;
  last_renewal_attempt: IsoText | null;
  last_renewal_status: string | null;
  next_renewal_attempt: IsoText | null;
  registration_expires: IsoText | null;
  registration_failed_reason: string | null;
  product_udi: string | null;
  export_control: string | null;
  authorization_status: AuthorizationStatus | null;
  last_communication_attempt: IsoText | null;
  last_communication_status: string | null;
  next_communication_attempt: IsoText | null;
  authorization_expires: IsoText | null;
  authorization_failed_reason: string | null;
  /** Days, as the product reports them. */
  evaluation_period_remaining: number | null;
  installed_at: IsoText | null;
  last_authorization_success_at: IsoText | null;
  last_id_renewal_at: IsoText | null;
  out_of_compliance_since: IsoText | null;
  last_status_read_at: IsoText | null;
  created_at: IsoText;
  updated_at: IsoText;
  /** 0005: the latest failed status read (`CODE: message`); kept after a later good read. */
  last_read_error: string | null;
  /** 0005: when that failed read happened. */
  last_read_error_at: IsoText | null;
}

export interface ClusterNodesTable {
  id: Generated<number>;
  cluster_id: number;
  hostname: string;
  address: string | null;
  role: NodeRole;
}

export interface ClusterLicenseUsageTable {
  cluster_id: number;
  /** Catalog id when the tag is known, else the tag's short name. */
  license_type: string;
  tag: string | null;
  count: number;
  status: string;
  read_at: IsoText;
}

export interface LicensesTable {
  id: Generated<number>;
  virtual_account_id: number;
  /** Catalog `LicenseTypeId` when CSSM's name is in the catalog, else CSSM's license name. */
  license_type: string;
  display_name: string;
  quantity: number;
  in_use: number;
  available: number;
  reserved: number;
  pending_quantity: number;
  status: string;
  billing_type: BillingType;
  is_portable: SqlBool;
  updated_at: IsoText;
}

export interface LicenseDetailsTable {
  id: Generated<number>;
  license_id: number;
  license_type: LicenseDetailType;
  quantity: number;
  start_date: IsoText | null;
  end_date: IsoText | null;
  subscription_id: string | null;
  status: string;
}

export interface LicenseSubstitutionsTable {
  id: Generated<number>;
  virtual_account_id: number;
  license_name: string;
  substituted_license: string;
  quantity: number;
  substitution_type: string | null;
}

export interface UsageSnapshotsTable {
  id: Generated<number>;
  taken_at: IsoText;
  /** 0005: no foreign key: history outlives the VA row (removal, rename). */
  virtual_account_id: number;
  /** 0005: the SA domain and VA name the snapshot was taken under. */
  smart_account_domain: string | null;
  virtual_account_name: string | null;
  license_type: string;
  quantity: number;
  in_use: number;
  available: number;
  shortage: number;
}

/** 0013: "at taken_at the VA's usage was the snapshot rows first_id..last_id again". */
export interface UsageRepeatsTable {
  id: Generated<number>;
  virtual_account_id: number;
  taken_at: IsoText;
  first_id: number;
  last_id: number;
}

/** 0013 (a view): the stored snapshot rows and the repeats expanded; `ord` orders equal times. */
export type UsagePointsView = Omit<UsageSnapshotsTable, 'id'> & { id: number; ord: number };

export interface RegistrationTokensTable {
  id: Generated<number>;
  virtual_account_id: number;
  token_enc: string;
  /** sha256 hex of the token: find and dedupe without decrypting. */
  token_hash: string;
  description: string | null;
  expires_at: IsoText | null;
  export_controlled: SqlBool;
  created_by: string | null;
  status: TokenStatus;
  created_at: IsoText;
  revoked_at: IsoText | null;
  /** First and last characters only, so listing needs no decryption (0003). */
  masked: string | null;
  /** CSSM no longer lists this token (0003). */
  gone_since: IsoText | null;
}

export interface DevicesTable {
  id: Generated<number>;
  virtual_account_id: number;
  instance_name: string;
  product_tag: string | null;
  udi_pid: string;
  udi_serial: string;
  registration_status: string | null;
  authorization_status: string | null;
  last_contact_at: IsoText | null;
  updated_at: IsoText;
}

export interface JobsTable {
  id: Generated<number>;
  job_type: string;
  entity_type: string;
  entity_name: string;
  description: string | null;
  initiated_at: IsoText;
  started_at: IsoText | null;
  completed_at: IsoText | null;
  status: JobStatus;
  status_information: string | null;
  recommended_action: string | null;
  error_code: string | null;
  requested_by: string | null;
  correlation_id: string | null;
  /** 0005: id of the entity (a cluster's id for `Cluster` jobs); NULL on older jobs. */
  entity_id: number | null;
  /** `host|pid|instance` of the process running it (0003). */
  runner: string | null;
}

export interface SyncLeasesTable {
  smart_account_id: number;
  /** `host|pid|instance` of the process syncing the account. */
  holder: string;
  acquired_at: IsoText;
  /** 0016: grows at every new holder of the row (the fence of a sync's write). */
  epoch: Generated<number>;
  /** 0016: the holder's heartbeat keeps it ahead; past it anyone may take over. */
  expires_at: IsoText | null;
}

export interface AlertsTable {
  id: Generated<number>;
  rule: string;
  entity_type: string;
  entity_id: string;
  severity: AlertSeverity;
  state: AlertState;
  first_seen: IsoText;
  last_seen: IsoText;
  resolved_at: IsoText | null;
  muted_until: IsoText | null;
  dedupe_key: string;
  /** The one-line title. */
  message: string;
  /** The facts (JSON object). */
  details: JsonText | null;
  /** 0008: `sa:<id>` or `global`: the evaluation that owns the alert. */
  scope: Generated<string>;
  /** 0008 */
  smart_account_id: number | null;
  /** 0008 */
  customer_id: number | null;
  /** 0008 */
  customer_name: string | null;
  /** 0008 */
  entity_name: string | null;
  /** 0008: recommended action. */
  action: string | null;
  /** 0008: deadline of the condition. */
  due_at: IsoText | null;
  /** 0008: evaluations that saw the condition since it (re)opened. */
  evaluations: Generated<number>;
  /** 0008: last change of severity, title or facts. */
  changed_at: IsoText | null;
  /** 0008 */
  muted_reason: string | null;
  /** 0008 */
  muted_by: string | null;
  /** 0008 */
  muted_at: IsoText | null;
}

/** 0008: a mute by rule and entity, until an expiry. */
export interface AlertMutesTable {
  id: Generated<number>;
  rule: string;
  entity_type: string;
  entity_id: string;
  until: IsoText;
  reason: string | null;
  created_by: string | null;
  created_at: IsoText;
}

export type AlertEventKind = 'opened' | 'changed' | 'resolved' | 'reopened' | 'muted' | 'unmuted';

/** 0008: history of every alert. */
export interface AlertEventsTable {
  id: Generated<number>;
  alert_id: number;
  at: IsoText;
  kind: AlertEventKind;
  severity: AlertSeverity;
  title: string;
  facts: JsonText | null;
  actor: string | null;
}

/** 0008: streaks the alert rules need (consecutive unreadable syncs of a cluster). */
export interface AlertCountersTable {
  key: string;
  count: number;
  since: IsoText;
  last_at: IsoText;
  detail: string | null;
}

export interface ChannelSubscriptionsTable {
  id: Generated<number>;
  platform: ChatPlatform;
  channel_id: string;
  filters: JsonText;
  created_by: string | null;
  created_at: IsoText;
}

export interface ChatUsersTable {
  id: Generated<number>;
  platform: ChatPlatform;
  user_id: string;
  display_name: string | null;
  role: ChatRole;
  created_at: IsoText;
  updated_at: IsoText;
  /** 0007: who granted the stored role. */
  granted_by: string | null;
}

/** 0007: which chat message carries which alert in which channel. */
export interface NotifyMessagesTable {
  id: Generated<number>;
  platform: ChatPlatform;
  channel_id: string;
  alert_id: number;
  /** Slack `ts` / Webex message id; NULL until the first post was accepted. */
  message_ref: string | null;
  /** 1 when the alert went out inside a quiet-hours digest (then only thread replies follow). */
  in_digest: SqlBool;
  state: AlertState;
  severity: AlertSeverity;
  text_hash: string;
  last_notified_at: IsoText;
  created_at: IsoText;
}

/** 0007: chat messages still to send, oldest first per channel. */
/** 0009: how far each delivery consumer has read `alert_events`. */
export interface NotifyCursorsTable {
  consumer: string;
  last_event_id: number;
  updated_at: IsoText;
}

export interface NotifyOutboxTable {
  id: Generated<number>;
  platform: ChatPlatform;
  channel_id: string;
  alert_id: number | null;
  kind: 'post' | 'update' | 'thread' | 'held';
  /** The Reply to send, as JSON. */
  payload: JsonText;
  not_before: IsoText;
  attempts: Generated<number>;
  last_error: string | null;
  created_at: IsoText;
  /** Unique key of this message (0015); null for rows queued before it. */
  delivery_key: string | null;
  /** Epoch of the leader that began sending it; set and not cleared = maybe sent (0015). */
  claimed_epoch: number | null;
  claimed_at: IsoText | null;
}

/** One leadership among several instances on one database (0015). */
export interface LeaderLeasesTable {
  name: string;
  /** The instance id of the holder. */
  holder: string;
  /** Fencing token: grows by one at every change of holder. */
  epoch: number;
  since: IsoText;
  heartbeat_at: IsoText;
  expires_at: IsoText;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: IsoText;
  actor: string;
  action: string;
  entity_type: string | null;
  entity_id: string | null;
  details: JsonText | null;
  job_id: number | null;
}

export interface SettingsTable {
  key: string;
  value: string;
  updated_at: IsoText;
}

/** 0012: a one-time confirmation of one command line, for one person in one channel. */
export interface ConfirmationTicketsTable {
  /** Random, unguessable: the only thing a confirm button carries besides the line. */
  id: string;
  /** Who may press it: `slack:U…`, `webex:<e-mail>`, later `mcp:<token name>`. */
  subject: string;
  /** Where it was asked (Slack channel, Webex room); '' when the face has no channel. */
  channel: string;
  command: string;
  created_at: IsoText;
  expires_at: IsoText;
  used_at: IsoText | null;
  used_by: string | null;
}

/** 0012: where a chat write's "job started" was posted, to follow up after a restart. */
export interface ChatJobThreadsTable {
  job_id: number;
  platform: ChatPlatform;
  channel: string;
  /** Slack message ts, Webex message id: the thread the follow-up goes in. */
  thread_ref: string;
  recorded_at: IsoText;
  /** When the thread was told the job was interrupted (once, by whichever process). */
  told_at: IsoText | null;
}

/** 0014: an MCP bearer token; only the secret's SHA-256 is stored. */
export interface McpTokensTable {
  name: string;
  role: ChatRole;
  secret_hash: string;
  created_at: IsoText;
  created_by: string;
  revoked_at: IsoText | null;
  revoked_by: string | null;
  last_used_at: IsoText | null;
}

/** 0014: a person's yes to the confirmation ticket an MCP client was given. */
export interface McpApprovalsTable {
  ticket_id: string;
  approved_by: string;
  approved_at: IsoText;
}

export interface Database {
  smart_accounts: SmartAccountsTable;
  local_accounts: LocalAccountsTable;
  virtual_accounts: VirtualAccountsTable;
  customers: CustomersTable;
  clusters: ClustersTable;
  cluster_nodes: ClusterNodesTable;
  cluster_license_usage: ClusterLicenseUsageTable;
  licenses: LicensesTable;
  license_details: LicenseDetailsTable;
  license_substitutions: LicenseSubstitutionsTable;
  usage_snapshots: UsageSnapshotsTable;
  usage_repeats: UsageRepeatsTable;
  usage_points: UsagePointsView;
  registration_tokens: RegistrationTokensTable;
  devices: DevicesTable;
  jobs: JobsTable;
  alerts: AlertsTable;
  alert_mutes: AlertMutesTable;
  alert_events: AlertEventsTable;
  alert_counters: AlertCountersTable;
  channel_subscriptions: ChannelSubscriptionsTable;
  chat_users: ChatUsersTable;
  audit_log: AuditLogTable;
  settings: SettingsTable;
  sync_leases: SyncLeasesTable;
  notify_messages: NotifyMessagesTable;
  notify_outbox: NotifyOutboxTable;
  notify_cursors: NotifyCursorsTable;
  leader_leases: LeaderLeasesTable;
  confirmation_tickets: ConfirmationTicketsTable;
  chat_job_threads: ChatJobThreadsTable;
  mcp_tokens: McpTokensTable;
  mcp_approvals: McpApprovalsTable;
}

export type SmartAccountRow = Selectable<SmartAccountsTable>;
export type NewSmartAccountRow = Insertable<SmartAccountsTable>;
export type SmartAccountRowUpdate = Updateable<SmartAccountsTable>;
export type ClusterRow = Selectable<ClustersTable>;
export type ClusterRowUpdate = Updateable<ClustersTable>;
