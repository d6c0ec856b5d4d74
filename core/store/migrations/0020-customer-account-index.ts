/**
 * 0020-customer-account-index: `customers (smart_account_id)`.
 *
 * Each alert evaluation after an account's sync reads the unassigned clusters of that account's
 * customers (core/services/alert-state.ts `gatherAlertStates`). With this index SQLite finds the
 * account's customers and then their unassigned clusters by `clusters_va_customer_idx`; without
 * it, it walked every unassigned cluster of the estate once per account (issue 23).
 *
 * Kept in its own file so the lead can renumber it if another branch took 0020.
 * A migration NEVER changes once it has shipped; everything it needs lives in this file.
 */
import type { Kysely, Migration } from 'kysely';

async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('customers_smart_account_idx')
    .on('customers')
    .column('smart_account_id')
    .execute();
}

async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('customers_smart_account_idx').execute();
}

export const migration0020CustomerAccountIndex: Migration = { up, down };
