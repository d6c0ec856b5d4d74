/**
 * 0015-leader-lease: several instances on one database, one leader (issue 24).
 *
 * - `leader_leases`: one row per leadership (`smartlic`): who holds it, since when, the last
 *   heartbeat and when the lease runs out, and the fencing `epoch`, which only ever grows: every
 *   takeover adds one. A leader-only write checks, in its own transaction, that the epoch it
 *   was elected with is still the row's (core/store/repositories/leader-leases.repository.ts);
 *   a deposed leader's late write finds a larger epoch and is refused. The PostgreSQL advisory
 *   lock election bumps the same row when it wins, so both elections fence the same way.
 * - `notify_outbox.delivery_key`: each queued alert message's unique key (sent along to the
 *   chat platform where it can carry one, Slack message metadata), and `claimed_epoch` /
 *   `claimed_at`: the leader that began sending it. A row still claimed after a failover is
 *   "in doubt" (the old leader may have posted before it died); the new leader asks the
 *   platform for the key before posting again.
 *
 * Portable: the kysely schema builder only, so that SQLite and PostgreSQL get the same schema.
 * A migration NEVER changes once it has shipped; everything it needs lives in this file.
 */
import type { Kysely, Migration } from 'kysely';

/** The leadership table alone (also what a test of the advisory election on PostgreSQL needs). */
export async function createLeaderLeases(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('leader_leases')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('epoch', 'integer', (c) => c.notNull())
    .addColumn('since', 'text', (c) => c.notNull())
    .addColumn('heartbeat_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
}

async function up(db: Kysely<unknown>): Promise<void> {
  await createLeaderLeases(db);
  await db.schema.alterTable('notify_outbox').addColumn('delivery_key', 'text').execute();
  await db.schema.alterTable('notify_outbox').addColumn('claimed_epoch', 'integer').execute();
  await db.schema.alterTable('notify_outbox').addColumn('claimed_at', 'text').execute();
  await db.schema
    .createIndex('notify_outbox_delivery_key_uq')
    .on('notify_outbox')
    .column('delivery_key')
    .unique()
    .execute();
}

async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('notify_outbox_delivery_key_uq').execute();
  await db.schema.alterTable('notify_outbox').dropColumn('claimed_at').execute();
  await db.schema.alterTable('notify_outbox').dropColumn('claimed_epoch').execute();
  await db.schema.alterTable('notify_outbox').dropColumn('delivery_key').execute();
  await db.schema.dropTable('leader_leases').execute();
}

export const migration0015LeaderLease: Migration = { up, down };
