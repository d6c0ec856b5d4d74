/**
 * 0012-chat-tickets: confirmations bound to the question, and the threads of chat jobs.
 *
 * - `confirmation_tickets`: a destructive command asked from chat gets a one-time ticket; the
 *   confirm button carries only its id. Pressing it runs the command only when the ticket
 *   exists, is unused, unexpired, and the presser, the channel and the command line are the
 *   ones it was issued for. Kept in SQLite so that it survives a restart and holds across the
 *   bot's worker threads and processes (any of them may receive the press).
 * - `chat_job_threads`: where a chat write's "job N started" was posted (Slack ts, Webex
 *   message id), so that after a restart the thread of a job the dead process left running can
 *   be told it was interrupted — once (`told_at`), whichever process gets there first.
 *
 * A migration NEVER changes once it has shipped; everything it needs lives in this file.
 */
import type { Kysely, Migration } from 'kysely';

async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('confirmation_tickets')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('command', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('used_at', 'text')
    .addColumn('used_by', 'text')
    .execute();
  await db.schema
    .createIndex('confirmation_tickets_expires_idx')
    .on('confirmation_tickets')
    .column('expires_at')
    .execute();

  await db.schema
    .createTable('chat_job_threads')
    .addColumn('job_id', 'integer', (c) => c.primaryKey().references('jobs.id').onDelete('cascade'))
    .addColumn('platform', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('thread_ref', 'text', (c) => c.notNull())
    .addColumn('recorded_at', 'text', (c) => c.notNull())
    .addColumn('told_at', 'text')
    .execute();
}

async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('chat_job_threads').execute();
  await db.schema.dropTable('confirmation_tickets').execute();
}

export const migration0012ChatTickets: Migration = { up, down };
