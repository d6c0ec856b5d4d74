/**
 * 0007-chat-delivery: what chat-ops (bot/) keeps.
 *
 * - `chat_users.granted_by`: who ran the `role grant` that gave a user their stored role.
 * - `notify_messages`: which chat message carries which alert in which channel (Slack `ts`,
 *   Webex message id), and what that message last said (state, severity, a hash of the text,
 *   when a reminder was last sent). One row per alert and channel: a restart neither posts an
 *   alert again nor forgets to update or resolve it.
 * - `notify_outbox`: every message still to send (post, in-place update, thread reply, digest
 *   item held through quiet hours) with when it may next be tried. A row leaves the queue only
 *   when the chat platform accepted it; a 429 moves `not_before` by its Retry-After.
 *
 * A migration NEVER changes once it has shipped; everything it needs lives in this file.
 */
import type { Kysely, Migration } from 'kysely';

async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('chat_users').addColumn('granted_by', 'text').execute();

  await db.schema
    .createTable('notify_messages')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('platform', 'text', (c) => c.notNull())
    .addColumn('channel_id', 'text', (c) => c.notNull())
    .addColumn('alert_id', 'integer', (c) => c.notNull())
    .addColumn('message_ref', 'text')
    .addColumn('in_digest', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('text_hash', 'text', (c) => c.notNull())
    .addColumn('last_notified_at', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('notify_messages_uq', ['platform', 'channel_id', 'alert_id'])
    .execute();

  await db.schema
    .createTable('notify_outbox')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('platform', 'text', (c) => c.notNull())
    .addColumn('channel_id', 'text', (c) => c.notNull())
    .addColumn('alert_id', 'integer')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('not_before', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('notify_outbox_channel_idx')
    .on('notify_outbox')
    .columns(['platform', 'channel_id', 'id'])
    .execute();
}

async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('notify_outbox').execute();
  await db.schema.dropTable('notify_messages').execute();
  await db.schema.alterTable('chat_users').dropColumn('granted_by').execute();
}

export const migration0007ChatDelivery: Migration = { up, down };
