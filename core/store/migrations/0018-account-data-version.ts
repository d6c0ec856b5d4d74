/**
 * 0018-account-data-version: `smart_accounts.data_version`, a counter the store bumps each time
 * a sync records its result on the account (the same transaction as a successful sync's
 * writes). The site build keeps each account's version beside its last output and reads again
 * only the clusters of accounts whose version moved (issue 23): a sync of one account re-reads
 * that account's pages, not the estate's.
 *
 * A migration NEVER changes once it has shipped; everything it needs lives in this file.
 */
import type { Kysely, Migration } from 'kysely';

async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('smart_accounts')
    .addColumn('data_version', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}

async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('smart_accounts').dropColumn('data_version').execute();
}

export const migration0018AccountDataVersion: Migration = { up, down };
