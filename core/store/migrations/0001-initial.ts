/**
 * 0001-initial: the first schema (DOMAIN §1, §4, §5, §7).
 *
 * A migration NEVER changes once it has shipped: databases in the field already ran it.
 * Change the schema with a new numbered migration, and update core/store/schema.ts.
 * Everything this file needs (helpers included) lives in this file so that edits elsewhere
 * cannot alter what it does.
 */
import { sql } from 'kysely';
import type { Kysely, Migration, RawBuilder } from 'kysely';

/** `<column> IN ('a','b')`, or NULL allowed when `nullable`. */
function oneOf(column: string, values: readonly string[], nullable = false): RawBuilder<unknown> {
  const list = sql.join(values.map((v) => sql.lit(v)));
  return nullable
    ? sql`${sql.ref(column)} IS NULL OR ${sql.ref(column)} IN (${list})`
    : sql`${sql.ref(column)} IN (${list})`;
}

const bool = (column: string): RawBuilder<unknown> => sql`${sql.ref(column)} IN (0, 1)`;

const TRANSPORT = ['Direct', 'Proxy', 'Satellite'];
const LICENSE_MODE = ['Enterprise', 'HCS', 'HCS-LE'];
const CLUSTER_STATUS = [
  'Auto Registered',
  'Manually Registered',
  'Deregistered',
  'Auto Registration Inprogress',
  'Auto Registration Failed',
  'Manual Registration Failed',
  'Deregistration Failed',
  'Auto Deregistration InProgress',
];
const PLATFORM = ['slack', 'webex', 'console'];

async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('smart_accounts')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('domain', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull().check(oneOf('type', ['CUSTOMER', 'HOLDING'])))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull().check(oneOf('source', ['cssm', 'satellite'])))
    .addColumn('transport_mode', 'text', (c) =>
      c.notNull().check(oneOf('transport_mode', TRANSPORT)),
    )
    .addColumn('proxy_host', 'text')
    .addColumn('proxy_port', 'integer')
    .addColumn('proxy_username', 'text')
    .addColumn('proxy_password_enc', 'text')
    .addColumn('satellite_host', 'text')
    .addColumn('satellite_port', 'integer')
    .addColumn('satellite_token_url', 'text')
    .addColumn('satellite_registration_url', 'text')
    .addColumn('local_account_name', 'text')
    .addColumn('client_id', 'text')
    .addColumn('client_secret_enc', 'text')
    .addColumn('last_sync_at', 'text')
    .addColumn('last_sync_status', 'text')
    .addColumn('last_sync_error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('local_accounts')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('smart_account_id', 'integer', (c) =>
      c.references('smart_accounts.id').onDelete('set null'),
    )
    .addColumn('satellite_host', 'text', (c) => c.notNull())
    .addColumn('sync_mode', 'text', (c) =>
      c.notNull().check(oneOf('sync_mode', ['connected', 'disconnected'])),
    )
    .addColumn('last_cssm_sync_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('local_accounts_host_name_uq', ['satellite_host', 'name'])
    .execute();

  await db.schema
    .createTable('virtual_accounts')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('smart_account_id', 'integer', (c) =>
      c.notNull().references('smart_accounts.id').onDelete('cascade'),
    )
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('is_default', 'integer', (c) => c.notNull().defaultTo(0).check(bool('is_default')))
    .addColumn('commerce_access_level', 'text')
    .addColumn('license_mode', 'text', (c) => c.check(oneOf('license_mode', LICENSE_MODE, true)))
    .addColumn('role', 'text', (c) => c.check(oneOf('role', ['ordered', 'operational'], true)))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('virtual_accounts_sa_name_uq', ['smart_account_id', 'name'])
    .execute();

  await db.schema
    .createTable('customers')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('description', 'text')
    .addColumn('smart_account_id', 'integer', (c) =>
      c.references('smart_accounts.id').onDelete('set null'),
    )
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('clusters')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('customer_id', 'integer', (c) =>
      c.notNull().references('customers.id').onDelete('restrict'),
    )
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull().check(oneOf('type', ['CUCM', 'CUC', 'CER'])))
    .addColumn('version', 'text')
    .addColumn('publisher_address', 'text', (c) => c.notNull())
    .addColumn('admin_username', 'text')
    .addColumn('admin_password_enc', 'text')
    .addColumn('license_mode', 'text', (c) => c.check(oneOf('license_mode', LICENSE_MODE, true)))
    .addColumn('transport_mode', 'text', (c) => c.check(oneOf('transport_mode', TRANSPORT, true)))
    .addColumn('transport_url', 'text')
    .addColumn('virtual_account_id', 'integer', (c) =>
      c.references('virtual_accounts.id').onDelete('set null'),
    )
    .addColumn('status', 'text', (c) => c.check(oneOf('status', CLUSTER_STATUS, true)))
    .addColumn('licensing', 'text', (c) =>
      c
        .notNull()
        .defaultTo('Smart')
        .check(oneOf('licensing', ['PLM', 'Smart'])),
    )
    .addColumn('registration_status', 'text', (c) =>
      c.check(
        oneOf('registration_status', ['Unregistered', 'Registered', 'Registration Expired'], true),
      ),
    )
    .addColumn('registered_at', 'text')
    .addColumn('last_renewal_attempt', 'text')
    .addColumn('last_renewal_status', 'text')
    .addColumn('next_renewal_attempt', 'text')
    .addColumn('registration_expires', 'text')
    .addColumn('registration_failed_reason', 'text')
    .addColumn('product_udi', 'text')
    .addColumn('export_control', 'text')
    .addColumn('authorization_status', 'text', (c) =>
      c.check(
        oneOf(
          'authorization_status',
          [
            'No License in use',
            'Evaluation Mode',
            'Evaluation Expired',
            'Authorized',
            'Out of compliance',
            'Authorization Expired',
          ],
          true,
        ),
      ),
    )
    .addColumn('last_communication_attempt', 'text')
    .addColumn('last_communication_status', 'text')
    .addColumn('next_communication_attempt', 'text')
    .addColumn('authorization_expires', 'text')
    .addColumn('authorization_failed_reason', 'text')
    .addColumn('evaluation_period_remaining', 'integer')
    .addColumn('installed_at', 'text')
    .addColumn('last_authorization_success_at', 'text')
    .addColumn('last_id_renewal_at', 'text')
    .addColumn('out_of_compliance_since', 'text')
    .addColumn('last_status_read_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('clusters_customer_name_uq', ['customer_id', 'name'])
    .execute();
  await db.schema
    .createIndex('clusters_va_idx')
    .on('clusters')
    .column('virtual_account_id')
    .execute();

  await db.schema
    .createTable('cluster_nodes')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('cluster_id', 'integer', (c) =>
      c.notNull().references('clusters.id').onDelete('cascade'),
    )
    .addColumn('hostname', 'text', (c) => c.notNull())
    .addColumn('address', 'text')
    .addColumn('role', 'text', (c) => c.notNull().check(oneOf('role', ['publisher', 'subscriber'])))
    .addUniqueConstraint('cluster_nodes_cluster_host_uq', ['cluster_id', 'hostname'])
    .execute();

  await db.schema
    .createTable('cluster_license_usage')
    .addColumn('cluster_id', 'integer', (c) =>
      c.notNull().references('clusters.id').onDelete('cascade'),
    )
    .addColumn('license_type', 'text', (c) => c.notNull())
    .addColumn('tag', 'text')
    .addColumn('count', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('read_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('cluster_license_usage_pk', ['cluster_id', 'license_type'])
    .execute();

  await db.schema
    .createTable('licenses')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('virtual_account_id', 'integer', (c) =>
      c.notNull().references('virtual_accounts.id').onDelete('cascade'),
    )
    .addColumn('license_type', 'text', (c) => c.notNull())
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('quantity', 'integer', (c) => c.notNull())
    .addColumn('in_use', 'integer', (c) => c.notNull())
    .addColumn('available', 'integer', (c) => c.notNull())
    .addColumn('reserved', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('pending_quantity', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('billing_type', 'text', (c) =>
      c.notNull().check(oneOf('billing_type', ['PREPAID', 'USAGE'])),
    )
    .addColumn('is_portable', 'integer', (c) => c.notNull().defaultTo(0).check(bool('is_portable')))
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('licenses_va_type_uq', ['virtual_account_id', 'license_type'])
    .execute();

  await db.schema
    .createTable('license_details')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('license_id', 'integer', (c) =>
      c.notNull().references('licenses.id').onDelete('cascade'),
    )
    .addColumn('license_type', 'text', (c) =>
      c.notNull().check(oneOf('license_type', ['TERM', 'PERPETUAL', 'DEMO', 'STANDARD'])),
    )
    .addColumn('quantity', 'integer', (c) => c.notNull())
    .addColumn('start_date', 'text')
    .addColumn('end_date', 'text')
    .addColumn('subscription_id', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('license_details_license_idx')
    .on('license_details')
    .column('license_id')
    .execute();

  await db.schema
    .createTable('license_substitutions')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('virtual_account_id', 'integer', (c) =>
      c.notNull().references('virtual_accounts.id').onDelete('cascade'),
    )
    .addColumn('license_name', 'text', (c) => c.notNull())
    .addColumn('substituted_license', 'text', (c) => c.notNull())
    .addColumn('quantity', 'integer', (c) => c.notNull())
    .addColumn('substitution_type', 'text')
    .execute();
  await db.schema
    .createIndex('license_substitutions_va_idx')
    .on('license_substitutions')
    .column('virtual_account_id')
    .execute();

  await db.schema
    .createTable('usage_snapshots')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('taken_at', 'text', (c) => c.notNull())
    .addColumn('virtual_account_id', 'integer', (c) =>
      c.notNull().references('virtual_accounts.id').onDelete('cascade'),
    )
    .addColumn('license_type', 'text', (c) => c.notNull())
    .addColumn('quantity', 'integer', (c) => c.notNull())
    .addColumn('in_use', 'integer', (c) => c.notNull())
    .addColumn('available', 'integer', (c) => c.notNull())
    .addColumn('shortage', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .createIndex('usage_snapshots_va_type_at_idx')
    .on('usage_snapshots')
    .columns(['virtual_account_id', 'license_type', 'taken_at'])
    .execute();

  await db.schema
    .createTable('registration_tokens')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('virtual_account_id', 'integer', (c) =>
      c.notNull().references('virtual_accounts.id').onDelete('cascade'),
    )
    .addColumn('token_enc', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('description', 'text')
    .addColumn('expires_at', 'text')
    .addColumn('export_controlled', 'integer', (c) =>
      c.notNull().defaultTo(0).check(bool('export_controlled')),
    )
    .addColumn('created_by', 'text')
    .addColumn('status', 'text', (c) =>
      c.notNull().check(oneOf('status', ['Active', 'Revoked', 'Expired'])),
    )
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('revoked_at', 'text')
    .execute();
  await db.schema
    .createIndex('registration_tokens_va_idx')
    .on('registration_tokens')
    .columns(['virtual_account_id', 'status'])
    .execute();

  await db.schema
    .createTable('devices')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('virtual_account_id', 'integer', (c) =>
      c.notNull().references('virtual_accounts.id').onDelete('cascade'),
    )
    .addColumn('instance_name', 'text', (c) => c.notNull())
    .addColumn('product_tag', 'text')
    .addColumn('udi_pid', 'text', (c) => c.notNull())
    .addColumn('udi_serial', 'text', (c) => c.notNull())
    .addColumn('registration_status', 'text')
    .addColumn('authorization_status', 'text')
    .addColumn('last_contact_at', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('devices_va_udi_uq', ['virtual_account_id', 'udi_pid', 'udi_serial'])
    .execute();

  await db.schema
    .createTable('jobs')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('job_type', 'text', (c) => c.notNull())
    .addColumn('entity_type', 'text', (c) => c.notNull())
    .addColumn('entity_name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('initiated_at', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text')
    .addColumn('completed_at', 'text')
    .addColumn('status', 'text', (c) =>
      c.notNull().check(oneOf('status', ['Queued', 'InProgress', 'Completed', 'Failed'])),
    )
    .addColumn('status_information', 'text')
    .addColumn('recommended_action', 'text')
    .addColumn('error_code', 'text')
    .addColumn('requested_by', 'text')
    .addColumn('correlation_id', 'text')
    .execute();
  await db.schema.createIndex('jobs_initiated_idx').on('jobs').column('initiated_at').execute();
  await db.schema.createIndex('jobs_status_idx').on('jobs').column('status').execute();
  await db.schema.createIndex('jobs_correlation_idx').on('jobs').column('correlation_id').execute();

  await db.schema
    .createTable('alerts')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('rule', 'text', (c) => c.notNull())
    .addColumn('entity_type', 'text', (c) => c.notNull())
    .addColumn('entity_id', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) =>
      c.notNull().check(oneOf('severity', ['info', 'warning', 'critical'])),
    )
    .addColumn('state', 'text', (c) =>
      c.notNull().check(oneOf('state', ['open', 'resolved', 'muted'])),
    )
    .addColumn('first_seen', 'text', (c) => c.notNull())
    .addColumn('last_seen', 'text', (c) => c.notNull())
    .addColumn('resolved_at', 'text')
    .addColumn('muted_until', 'text')
    .addColumn('dedupe_key', 'text', (c) => c.notNull().unique())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('details', 'text')
    .execute();
  await db.schema.createIndex('alerts_state_idx').on('alerts').column('state').execute();

  await db.schema
    .createTable('channel_subscriptions')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('platform', 'text', (c) => c.notNull().check(oneOf('platform', PLATFORM)))
    .addColumn('channel_id', 'text', (c) => c.notNull())
    .addColumn('filters', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('channel_subscriptions_uq', ['platform', 'channel_id'])
    .execute();

  await db.schema
    .createTable('chat_users')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('platform', 'text', (c) => c.notNull().check(oneOf('platform', PLATFORM)))
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('display_name', 'text')
    .addColumn('role', 'text', (c) =>
      c.notNull().check(oneOf('role', ['viewer', 'operator', 'admin'])),
    )
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('chat_users_platform_user_uq', ['platform', 'user_id'])
    .execute();

  await db.schema
    .createTable('audit_log')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('entity_type', 'text')
    .addColumn('entity_id', 'text')
    .addColumn('details', 'text')
    .addColumn('job_id', 'integer', (c) => c.references('jobs.id').onDelete('set null'))
    .execute();
  await db.schema.createIndex('audit_log_at_idx').on('audit_log').column('at').execute();

  await db.schema
    .createTable('settings')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
}

export const migration0001Initial: Migration = { up };
