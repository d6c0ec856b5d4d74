/**
 * 0008-alert-lifecycle: what the alert service (issue 9) keeps for each alert and around it.
 *
 * alerts (one row per dedupe key; `message` holds the one-line title, `details` the facts):
 * - `scope`: the evaluation that owns the alert (`sa:<id>` or `global`); an account's sync
 *   resolves alerts of its own scope only.
 * - `smart_account_id`, `customer_id`, `customer_name`, `entity_name`: for filters and lists
 *   without joins (no foreign keys: an alert outlives the row it was about, as history).
 * - `action`: recommended action; `due_at`: the deadline of the condition, if any.
 * - `evaluations`: evaluations that saw the condition since it (re)opened; `changed_at`: last
 *   change of severity, title or facts.
 * - `muted_reason`, `muted_by`, `muted_at` with the existing `muted_until`: a mute of this
 *   alert. From here on `state` is only 'open' or 'resolved'; a mute no longer changes it (a
 *   muted alert keeps updating, it is only not delivered). Rows muted before are reopened with
 *   their `muted_until` kept.
 *
 * alert_mutes: a mute by rule and entity (every alert of that rule on that entity, also ones
 * not open yet), until an expiry.
 * alert_events: the history of every alert: opened, changed, resolved, reopened, muted, unmuted.
 * alert_counters: streaks the rules need and nothing else stores (consecutive syncs that could
 * not read a cluster), keyed by text.
 *
 * A migration NEVER changes once it has shipped; everything it needs lives in this file.
 */
import { sql } from 'kysely';
import type { Kysely, Migration } from 'kysely';

async function up(db: Kysely<unknown>): Promise<void> {
  const add = (name: string, type: 'text' | 'integer') =>
    db.schema.alterTable('alerts').addColumn(name, type).execute();
  await db.schema
    .alterTable('alerts')
    .addColumn('scope', 'text', (c) => c.notNull().defaultTo('global'))
    .execute();
  await add('smart_account_id', 'integer');
  await add('customer_id', 'integer');
  await add('customer_name', 'text');
  await add('entity_name', 'text');
  await add('action', 'text');
  await add('due_at', 'text');
  await db.schema
    .alterTable('alerts')
    .addColumn('evaluations', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();
  await add('changed_at', 'text');
  await add('muted_reason', 'text');
  await add('muted_by', 'text');
  await add('muted_at', 'text');
  await sql`UPDATE alerts SET state = 'open' WHERE state = 'muted'`.execute(db);
  await db.schema
    .createIndex('alerts_scope_state_idx')
    .on('alerts')
    .columns(['scope', 'state'])
    .execute();
  await db.schema
    .createIndex('alerts_account_state_idx')
    .on('alerts')
    .columns(['smart_account_id', 'state'])
    .execute();

  await db.schema
    .createTable('alert_mutes')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('rule', 'text', (c) => c.notNull())
    .addColumn('entity_type', 'text', (c) => c.notNull())
    .addColumn('entity_id', 'text', (c) => c.notNull())
    .addColumn('until', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('alert_mutes_target_idx')
    .on('alert_mutes')
    .columns(['rule', 'entity_type', 'entity_id'])
    .execute();

  await db.schema
    .createTable('alert_events')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('alert_id', 'integer', (c) =>
      c.notNull().references('alerts.id').onDelete('cascade'),
    )
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) =>
      c
        .notNull()
        .check(sql`kind IN ('opened', 'changed', 'resolved', 'reopened', 'muted', 'unmuted')`),
    )
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('facts', 'text')
    .addColumn('actor', 'text')
    .execute();
  await db.schema
    .createIndex('alert_events_alert_idx')
    .on('alert_events')
    .columns(['alert_id', 'id'])
    .execute();
  await db.schema.createIndex('alert_events_at_idx').on('alert_events').column('at').execute();

  await db.schema
    .createTable('alert_counters')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addColumn('since', 'text', (c) => c.notNull())
    .addColumn('last_at', 'text', (c) => c.notNull())
    .addColumn('detail', 'text')
    .execute();
}

async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('alert_counters').execute();
  await db.schema.dropTable('alert_events').execute();
  await db.schema.dropTable('alert_mutes').execute();
  await db.schema.dropIndex('alerts_account_state_idx').execute();
  await db.schema.dropIndex('alerts_scope_state_idx').execute();
  for (const c of [
    'muted_at',
    'muted_by',
    'muted_reason',
    'changed_at',
    'evaluations',
    'due_at',
    'action',
    'entity_name',
    'customer_name',
    'customer_id',
    'smart_account_id',
    'scope',
  ]) {
    await db.schema.alterTable('alerts').dropColumn(c).execute();
  }
}

export const migration0008AlertLifecycle: Migration = { up, down };
