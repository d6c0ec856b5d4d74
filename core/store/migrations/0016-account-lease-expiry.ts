/**
 * 0016-account-lease-expiry: the account lease (`sync_leases`) works across machines (issue 24).
 *
 * Until now a lease held by a process on another host counted as alive for ever (its pid
 * cannot be checked from here), so a crashed instance on another machine kept its accounts
 * locked until it came back. Now:
 * - `expires_at`: the holder renews the lease (a heartbeat) while it holds it; a lease not
 *   renewed by then may be taken over by anyone. NULL on a row written before this migration:
 *   only the pid check decides for it, as before.
 * - `epoch`: grows by one at every take-over of the account's row (and at every new holder),
 *   never goes back; a sync's write transaction checks that the epoch it took is still the
 *   row's, so a holder that lost its lease while paused (and a takeover happened) writes
 *   nothing late.
 *
 * Kept in its own file so the lead can renumber it if another branch took 0016.
 * A migration NEVER changes once it has shipped; everything it needs lives in this file.
 */
import type { Kysely, Migration } from 'kysely';

async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('sync_leases')
    .addColumn('epoch', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.alterTable('sync_leases').addColumn('expires_at', 'text').execute();
}

async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('sync_leases').dropColumn('expires_at').execute();
  await db.schema.alterTable('sync_leases').dropColumn('epoch').execute();
}

export const migration0016AccountLeaseExpiry: Migration = { up, down };
