/**
 * 0003-reliability: what lets a sync keep the operator's data whatever CSSM answers, lets
 * several processes share one database file, and keeps registration tokens masked at rest.
 *
 * - `virtual_accounts.missing_since` / `missing_syncs`: a VA CSSM stopped listing is kept
 *   (with the operator's license mode, role and cluster assignments) and marked missing: since
 *   when, and in how many consecutive syncs. `removed_at`: set when it was finally removed
 *   (by the operator, or after the configured number of agreeing syncs); the row stays so the
 *   usage history that references it stays.
 * - `registration_tokens.masked`: the token's masked form (first and last characters), so a
 *   listing never decrypts every token. `gone_since`: CSSM no longer lists the token.
 * - `jobs.runner`: which process runs the job (`host|pid`), so a job left InProgress by a
 *   process that died can be told from one another process is still running.
 * - `sync_leases`: one row per account being synced, held by one process at a time.
 *
 * A migration NEVER changes once it has shipped; everything it needs lives in this file.
 */
import type { Kysely, Migration } from 'kysely';

async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('virtual_accounts').addColumn('missing_since', 'text').execute();
  await db.schema
    .alterTable('virtual_accounts')
    .addColumn('missing_syncs', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.alterTable('virtual_accounts').addColumn('removed_at', 'text').execute();
  await db.schema.alterTable('registration_tokens').addColumn('masked', 'text').execute();
  await db.schema.alterTable('registration_tokens').addColumn('gone_since', 'text').execute();
  await db.schema.alterTable('jobs').addColumn('runner', 'text').execute();
  await db.schema
    .createIndex('jobs_status_type_idx')
    .on('jobs')
    .columns(['status', 'job_type'])
    .execute();
  await db.schema
    .createTable('sync_leases')
    .addColumn('smart_account_id', 'integer', (c) =>
      c.primaryKey().references('smart_accounts.id').onDelete('cascade'),
    )
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('acquired_at', 'text', (c) => c.notNull())
    .execute();
}

async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('sync_leases').execute();
  await db.schema.dropIndex('jobs_status_type_idx').execute();
  await db.schema.alterTable('jobs').dropColumn('runner').execute();
  await db.schema.alterTable('registration_tokens').dropColumn('gone_since').execute();
  await db.schema.alterTable('registration_tokens').dropColumn('masked').execute();
  await db.schema.alterTable('virtual_accounts').dropColumn('removed_at').execute();
  await db.schema.alterTable('virtual_accounts').dropColumn('missing_syncs').execute();
  await db.schema.alterTable('virtual_accounts').dropColumn('missing_since').execute();
}

export const migration0003Reliability: Migration = { up, down };
