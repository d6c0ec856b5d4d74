/**
 * 0009-notify-cursor: how far alert delivery (bot/notify) has read the alert event log.
 *
 * The alert service writes every change of an alert (opened, changed, resolved, reopened,
 * muted, unmuted) to `alert_events` (0008) in the same transaction as the alert itself, in
 * whichever process ran the sync. Delivery consumes that log in id order and keeps its place
 * here, one row per consumer (`notify:slack`, `notify:webex`): a restart resumes after the last
 * event it planned, and another process (the bot beside `smartlic start`) follows by polling.
 *
 * A migration NEVER changes once it has shipped; everything it needs lives in this file.
 */
import type { Kysely, Migration } from 'kysely';

async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('notify_cursors')
    .addColumn('consumer', 'text', (c) => c.primaryKey())
    .addColumn('last_event_id', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
}

async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('notify_cursors').execute();
}

export const migration0009NotifyCursor: Migration = { up, down };
