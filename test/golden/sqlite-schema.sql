-- index alert_events_alert_idx on alert_events
CREATE INDEX "alert_events_alert_idx" on "alert_events" ("alert_id", "id");
-- index alert_events_at_idx on alert_events
CREATE INDEX "alert_events_at_idx" on "alert_events" ("at");
-- index alert_mutes_target_idx on alert_mutes
CREATE INDEX "alert_mutes_target_idx" on "alert_mutes" ("rule", "entity_type", "entity_id");
-- index alerts_account_state_idx on alerts
CREATE INDEX "alerts_account_state_idx" on "alerts" ("smart_account_id", "state");
-- index alerts_scope_state_idx on alerts
CREATE INDEX "alerts_scope_state_idx" on "alerts" ("scope", "state");
-- index alerts_state_idx on alerts
CREATE INDEX "alerts_state_idx" on "alerts" ("state");
-- index audit_log_at_idx on audit_log
CREATE INDEX "audit_log_at_idx" on "audit_log" ("at");
-- index cluster_license_usage_count_idx on cluster_license_usage
CREATE INDEX "cluster_license_usage_count_idx" on "cluster_license_usage" ("cluster_id", "count");
-- index clusters_va_customer_idx on clusters
CREATE INDEX "clusters_va_customer_idx" on "clusters" ("virtual_account_id", "customer_id");
-- index confirmation_tickets_expires_idx on confirmation_tickets
CREATE INDEX "confirmation_tickets_expires_idx" on "confirmation_tickets" ("expires_at");
-- index jobs_correlation_idx on jobs
CREATE INDEX "jobs_correlation_idx" on "jobs" ("correlation_id");
-- index jobs_entity_idx on jobs
CREATE INDEX "jobs_entity_idx" on "jobs" ("entity_type", "entity_id", "id");
-- index jobs_initiated_idx on jobs
CREATE INDEX "jobs_initiated_idx" on "jobs" ("initiated_at");
-- index jobs_status_idx on jobs
CREATE INDEX "jobs_status_idx" on "jobs" ("status");
-- index jobs_status_type_idx on jobs
CREATE INDEX "jobs_status_type_idx" on "jobs" ("status", "job_type");
-- index license_details_end_idx on license_details
CREATE INDEX "license_details_end_idx" on "license_details" ("end_date");
-- index license_details_license_idx on license_details
CREATE INDEX "license_details_license_idx" on "license_details" ("license_id");
-- index license_substitutions_va_idx on license_substitutions
CREATE INDEX "license_substitutions_va_idx" on "license_substitutions" ("virtual_account_id");
-- index notify_outbox_channel_idx on notify_outbox
CREATE INDEX "notify_outbox_channel_idx" on "notify_outbox" ("platform", "channel_id", "id");
-- index registration_tokens_va_idx on registration_tokens
CREATE INDEX "registration_tokens_va_idx" on "registration_tokens" ("virtual_account_id", "status");
-- index usage_repeats_at_idx on usage_repeats
CREATE INDEX "usage_repeats_at_idx" on "usage_repeats" ("taken_at");
-- index usage_repeats_va_at_idx on usage_repeats
CREATE INDEX "usage_repeats_va_at_idx" on "usage_repeats" ("virtual_account_id", "taken_at");
-- index usage_snapshots_at_idx on usage_snapshots
CREATE INDEX "usage_snapshots_at_idx" on "usage_snapshots" ("taken_at");
-- index usage_snapshots_series_idx on usage_snapshots
CREATE INDEX "usage_snapshots_series_idx" on "usage_snapshots" ("virtual_account_id", "license_type", "taken_at", "id", "quantity", "in_use", "available", "shortage");
-- table alert_counters on alert_counters
CREATE TABLE "alert_counters" ("key" text primary key, "count" integer not null, "since" text not null, "last_at" text not null, "detail" text);
-- table alert_events on alert_events
CREATE TABLE "alert_events" ("id" integer primary key autoincrement, "alert_id" integer not null references "alerts" ("id") on delete cascade, "at" text not null, "kind" text not null check (kind IN ('opened', 'changed', 'resolved', 'reopened', 'muted', 'unmuted')), "severity" text not null, "title" text not null, "facts" text, "actor" text);
-- table alert_mutes on alert_mutes
CREATE TABLE "alert_mutes" ("id" integer primary key autoincrement, "rule" text not null, "entity_type" text not null, "entity_id" text not null, "until" text not null, "reason" text, "created_by" text, "created_at" text not null);
-- table alerts on alerts
CREATE TABLE "alerts" ("id" integer primary key autoincrement, "rule" text not null, "entity_type" text not null, "entity_id" text not null, "severity" text not null check ("severity" IN ('info', 'warning', 'critical')), "state" text not null check ("state" IN ('open', 'resolved', 'muted')), "first_seen" text not null, "last_seen" text not null, "resolved_at" text, "muted_until" text, "dedupe_key" text not null unique, "message" text not null, "details" text, "scope" text default 'global' not null, "smart_account_id" integer, "customer_id" integer, "customer_name" text, "entity_name" text, "action" text, "due_at" text, "evaluations" integer default 1 not null, "changed_at" text, "muted_reason" text, "muted_by" text, "muted_at" text);
-- table audit_log on audit_log
CREATE TABLE "audit_log" ("id" integer primary key autoincrement, "at" text not null, "actor" text not null, "action" text not null, "entity_type" text, "entity_id" text, "details" text, "job_id" integer references "jobs" ("id") on delete set null);
-- table channel_subscriptions on channel_subscriptions
CREATE TABLE "channel_subscriptions" ("id" integer primary key autoincrement, "platform" text not null check ("platform" IN ('slack', 'webex', 'console')), "channel_id" text not null, "filters" text not null, "created_by" text, "created_at" text not null, constraint "channel_subscriptions_uq" unique ("platform", "channel_id"));
-- table chat_job_threads on chat_job_threads
CREATE TABLE "chat_job_threads" ("job_id" integer primary key references "jobs" ("id") on delete cascade, "platform" text not null, "channel" text not null, "thread_ref" text not null, "recorded_at" text not null, "told_at" text);
-- table chat_users on chat_users
CREATE TABLE "chat_users" ("id" integer primary key autoincrement, "platform" text not null check ("platform" IN ('slack', 'webex', 'console')), "user_id" text not null, "display_name" text, "role" text not null check ("role" IN ('viewer', 'operator', 'admin')), "created_at" text not null, "updated_at" text not null, "granted_by" text, constraint "chat_users_platform_user_uq" unique ("platform", "user_id"));
-- table cluster_license_usage on cluster_license_usage
CREATE TABLE "cluster_license_usage" ("cluster_id" integer not null references "clusters" ("id") on delete cascade, "license_type" text not null, "tag" text, "count" integer not null, "status" text not null, "read_at" text not null, constraint "cluster_license_usage_pk" primary key ("cluster_id", "license_type"));
-- table cluster_nodes on cluster_nodes
CREATE TABLE "cluster_nodes" ("id" integer primary key autoincrement, "cluster_id" integer not null references "clusters" ("id") on delete cascade, "hostname" text not null, "address" text, "role" text not null check ("role" IN ('publisher', 'subscriber')), constraint "cluster_nodes_cluster_host_uq" unique ("cluster_id", "hostname"));
-- table clusters on clusters
CREATE TABLE "clusters" ("id" integer primary key autoincrement, "customer_id" integer not null references "customers" ("id") on delete restrict, "name" text not null, "type" text not null check ("type" IN ('CUCM', 'CUC', 'CER')), "version" text, "publisher_address" text not null, "admin_username" text, "admin_password_enc" text, "license_mode" text check ("license_mode" IS NULL OR "license_mode" IN ('Enterprise', 'HCS', 'HCS-LE')), "transport_mode" text check ("transport_mode" IS NULL OR "transport_mode" IN ('Direct', 'Proxy', 'Satellite')), "transport_url" text, "virtual_account_id" integer references "virtual_accounts" ("id") on delete set null, "status" text check ("status" IS NULL OR "status" IN ('Auto Registered', 'Manually Registered', 'Deregistered', 'Auto Registration Inprogress', 'Auto Registration Failed', 'Manual Registration Failed', 'Deregistration Failed', 'Auto Deregistration InProgress')), "licensing" text default 'Smart' not null check ("licensing" IN ('PLM', 'Smart')), "registration_status" text check ("registration_status" IS NULL OR "registration_status" IN ('Unregistered', 'Registered', 'Registration Expired')), "registered_at" text, "last_renewal_attempt" text, "last_renewal_status" text, "next_renewal_attempt" text, "registration_expires" text, "registration_failed_reason" text, "product_udi" text, "export_control" text, "authorization_status" text check ("authorization_status" IS NULL OR "authorization_status" IN ('No License in use', 'Evaluation Mode', 'Evaluation Expired', 'Authorized', 'Out of compliance', 'Authorization Expired')), "last_communication_attempt" text, "last_communication_status" text, "next_communication_attempt" text, "authorization_expires" text, "authorization_failed_reason" text, "evaluation_period_remaining" integer, "installed_at" text, "last_authorization_success_at" text, "last_id_renewal_at" text, "out_of_compliance_since" text, "last_status_read_at" text, "created_at" text not null, "updated_at" text not null, "axl_schema_version" text, "last_read_error" text, "last_read_error_at" text, constraint "clusters_customer_name_uq" unique ("customer_id", "name"));
-- table confirmation_tickets on confirmation_tickets
CREATE TABLE "confirmation_tickets" ("id" text primary key, "subject" text not null, "channel" text not null, "command" text not null, "created_at" text not null, "expires_at" text not null, "used_at" text, "used_by" text);
-- table customers on customers
CREATE TABLE "customers" ("id" integer primary key autoincrement, "name" text not null unique, "description" text, "smart_account_id" integer references "smart_accounts" ("id") on delete set null, "created_at" text not null, "updated_at" text not null);
-- table devices on devices
CREATE TABLE "devices" ("id" integer primary key autoincrement, "virtual_account_id" integer not null references "virtual_accounts" ("id") on delete cascade, "instance_name" text not null, "product_tag" text, "udi_pid" text not null, "udi_serial" text not null, "registration_status" text, "authorization_status" text, "last_contact_at" text, "updated_at" text not null, constraint "devices_va_udi_uq" unique ("virtual_account_id", "udi_pid", "udi_serial"));
-- table jobs on jobs
CREATE TABLE "jobs" ("id" integer primary key autoincrement, "job_type" text not null, "entity_type" text not null, "entity_name" text not null, "description" text, "initiated_at" text not null, "started_at" text, "completed_at" text, "status" text not null check ("status" IN ('Queued', 'InProgress', 'Completed', 'Failed')), "status_information" text, "recommended_action" text, "error_code" text, "requested_by" text, "correlation_id" text, "runner" text, "entity_id" integer);
-- table kysely_migration on kysely_migration
CREATE TABLE "kysely_migration" ("name" varchar(255) not null primary key, "timestamp" varchar(255) not null);
-- table kysely_migration_lock on kysely_migration_lock
CREATE TABLE "kysely_migration_lock" ("id" varchar(255) not null primary key, "is_locked" integer default 0 not null);
-- table license_details on license_details
CREATE TABLE "license_details" ("id" integer primary key autoincrement, "license_id" integer not null references "licenses" ("id") on delete cascade, "license_type" text not null check ("license_type" IN ('TERM', 'PERPETUAL', 'DEMO', 'STANDARD')), "quantity" integer not null, "start_date" text, "end_date" text, "subscription_id" text, "status" text not null);
-- table license_substitutions on license_substitutions
CREATE TABLE "license_substitutions" ("id" integer primary key autoincrement, "virtual_account_id" integer not null references "virtual_accounts" ("id") on delete cascade, "license_name" text not null, "substituted_license" text not null, "quantity" integer not null, "substitution_type" text);
-- table licenses on licenses
CREATE TABLE "licenses" ("id" integer primary key autoincrement, "virtual_account_id" integer not null references "virtual_accounts" ("id") on delete cascade, "license_type" text not null, "display_name" text not null, "quantity" integer not null, "in_use" integer not null, "available" integer not null, "reserved" integer default 0 not null, "pending_quantity" integer default 0 not null, "status" text not null, "billing_type" text not null check ("billing_type" IN ('PREPAID', 'USAGE')), "is_portable" integer default 0 not null check ("is_portable" IN (0, 1)), "updated_at" text not null, constraint "licenses_va_type_uq" unique ("virtual_account_id", "license_type"));
-- table local_accounts on local_accounts
CREATE TABLE "local_accounts" ("id" integer primary key autoincrement, "name" text not null, "smart_account_id" integer references "smart_accounts" ("id") on delete set null, "satellite_host" text not null, "sync_mode" text not null check ("sync_mode" IN ('connected', 'disconnected')), "last_cssm_sync_at" text, "created_at" text not null, "updated_at" text not null, constraint "local_accounts_host_name_uq" unique ("satellite_host", "name"));
-- table notify_cursors on notify_cursors
CREATE TABLE "notify_cursors" ("consumer" text primary key, "last_event_id" integer not null, "updated_at" text not null);
-- table notify_messages on notify_messages
CREATE TABLE "notify_messages" ("id" integer primary key autoincrement, "platform" text not null, "channel_id" text not null, "alert_id" integer not null, "message_ref" text, "in_digest" integer default 0 not null, "state" text not null, "severity" text not null, "text_hash" text not null, "last_notified_at" text not null, "created_at" text not null, constraint "notify_messages_uq" unique ("platform", "channel_id", "alert_id"));
-- table notify_outbox on notify_outbox
CREATE TABLE "notify_outbox" ("id" integer primary key autoincrement, "platform" text not null, "channel_id" text not null, "alert_id" integer, "kind" text not null, "payload" text not null, "not_before" text not null, "attempts" integer default 0 not null, "last_error" text, "created_at" text not null);
-- table registration_tokens on registration_tokens
CREATE TABLE "registration_tokens" ("id" integer primary key autoincrement, "virtual_account_id" integer not null references "virtual_accounts" ("id") on delete cascade, "token_enc" text not null, "token_hash" text not null unique, "description" text, "expires_at" text, "export_controlled" integer default 0 not null check ("export_controlled" IN (0, 1)), "created_by" text, "status" text not null check ("status" IN ('Active', 'Revoked', 'Expired')), "created_at" text not null, "revoked_at" text, "masked" text, "gone_since" text);
-- table settings on settings
CREATE TABLE "settings" ("key" text primary key, "value" text not null, "updated_at" text not null);
-- table smart_accounts on smart_accounts
CREATE TABLE "smart_accounts" ("id" integer primary key autoincrement, "domain" text not null unique, "name" text not null, "type" text not null check ("type" IN ('CUSTOMER', 'HOLDING')), "status" text not null, "source" text not null check ("source" IN ('cssm', 'satellite')), "transport_mode" text not null check ("transport_mode" IN ('Direct', 'Proxy', 'Satellite')), "proxy_host" text, "proxy_port" integer, "proxy_username" text, "proxy_password_enc" text, "satellite_host" text, "satellite_port" integer, "satellite_token_url" text, "satellite_registration_url" text, "local_account_name" text, "client_id" text, "client_secret_enc" text, "last_sync_at" text, "last_sync_status" text, "last_sync_error" text, "created_at" text not null, "updated_at" text not null, "token_url" text, "api_base" text, "sync_state" text, "devices_api_base" text);
-- table smartlic_migration_versions on smartlic_migration_versions
CREATE TABLE "smartlic_migration_versions" ("name" text primary key, "smartlic_version" text not null, "applied_at" text not null);
-- table sync_leases on sync_leases
CREATE TABLE "sync_leases" ("smart_account_id" integer primary key references "smart_accounts" ("id") on delete cascade, "holder" text not null, "acquired_at" text not null);
-- table usage_repeats on usage_repeats
CREATE TABLE "usage_repeats" ("id" integer primary key autoincrement, "virtual_account_id" integer not null, "taken_at" text not null, "first_id" integer not null, "last_id" integer not null);
-- table usage_snapshots on usage_snapshots
CREATE TABLE "usage_snapshots" ("id" integer primary key autoincrement, "taken_at" text not null, "virtual_account_id" integer not null, "smart_account_domain" text, "virtual_account_name" text, "license_type" text not null, "quantity" integer not null, "in_use" integer not null, "available" integer not null, "shortage" integer default 0 not null);
-- table virtual_accounts on virtual_accounts
CREATE TABLE "virtual_accounts" ("id" integer primary key autoincrement, "smart_account_id" integer not null references "smart_accounts" ("id") on delete cascade, "name" text not null, "description" text, "is_default" integer default 0 not null check ("is_default" IN (0, 1)), "commerce_access_level" text, "license_mode" text check ("license_mode" IS NULL OR "license_mode" IN ('Enterprise', 'HCS', 'HCS-LE')), "role" text check ("role" IS NULL OR "role" IN ('ordered', 'operational')), "created_at" text not null, "updated_at" text not null, "missing_since" text, "missing_syncs" integer default 0 not null, "removed_at" text, constraint "virtual_accounts_sa_name_uq" unique ("smart_account_id", "name"));
-- view usage_points on usage_points
CREATE VIEW usage_points as
    select s.id, s.id as ord, s.taken_at, s.virtual_account_id, s.smart_account_domain,
      s.virtual_account_name, s.license_type, s.quantity, s.in_use, s.available, s.shortage
    from usage_snapshots s
    union all
    select s.id, r.last_id + 0.5 as ord, r.taken_at, r.virtual_account_id, s.smart_account_domain,
      s.virtual_account_name, s.license_type, s.quantity, s.in_use, s.available, s.shortage
    from usage_repeats r join usage_snapshots s on s.id between r.first_id and r.last_id;
