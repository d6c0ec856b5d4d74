/**
 * 0017-token-expiry-index: `registration_tokens (status, expires_at)`.
 *
 * Every account's sync marks the Active tokens past their expiry as Expired, across the whole
 * table (tokens.repository.ts `markExpired`). Without an index each of those updates read every
 * token of the estate: a full sync of N accounts read N × (all tokens), the largest statement
 * of a re-sync with nothing changed at scale 1000 (issue 23). With it, each reads only the
 * Active tokens already past expiry.
 *
 * Kept in its own file so the lead can renumber it if another branch took 0017.
 * A migration NEVER changes once it has shipped; everything it needs lives in this file.
 */
import type { Kysely, Migration } from 'kysely';

async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('registration_tokens_status_expiry_idx')
    .on('registration_tokens')
    .columns(['status', 'expires_at'])
    .execute();
}

async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('registration_tokens_status_expiry_idx').execute();
}

export const migration0017TokenExpiryIndex: Migration = { up, down };
