/**
 * 0002-account-endpoints: per-account CSSM endpoints and incremental-sync state.
 *
 * - `smart_accounts.token_url` / `api_base`: where this account's OAuth token and API live.
 *   NULL means config's `cssm.tokenUrl` / `cssm.apiBase` (cloud). A satellite account always
 *   has both (its On-Prem token URL and API root).
 * - `smart_accounts.sync_state`: JSON the sync service keeps between runs (fingerprint of the
 *   last license answer, when devices and tokens were last read in full) so an unchanged
 *   account costs fewer requests. Never holds a secret.
 *
 * A migration NEVER changes once it has shipped; everything it needs lives in this file.
 */
import type { Kysely, Migration } from 'kysely';

async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('smart_accounts').addColumn('token_url', 'text').execute();
  await db.schema.alterTable('smart_accounts').addColumn('api_base', 'text').execute();
  await db.schema.alterTable('smart_accounts').addColumn('sync_state', 'text').execute();
}

async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('smart_accounts').dropColumn('sync_state').execute();
  await db.schema.alterTable('smart_accounts').dropColumn('api_base').execute();
  await db.schema.alterTable('smart_accounts').dropColumn('token_url').execute();
}

export const migration0002AccountEndpoints: Migration = { up, down };
