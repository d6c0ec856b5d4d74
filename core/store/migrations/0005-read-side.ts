/**
 * 0005-read-side: what the read side needs stored.
 *
 * - `clusters.last_read_error` / `last_read_error_at`: the latest failed status read of the
 *   cluster's publisher (code and message, when). With `last_status_read_at` (the latest good
 *   read) the effective lifecycle knows since when a product has stopped answering.
 * - `jobs.entity_id`: the id of the entity a job is about (a cluster's id for Cluster jobs), so
 *   the Cluster Summary joins a cluster's own latest job by id, not by a name two customers may
 *   share. Indexed with the entity type. Older jobs keep NULL.
 * - `usage_snapshots`: rebuilt without the cascading foreign key to `virtual_accounts`, so the
 *   history survives a VA's removal or rename; each row also keeps the SA domain and VA name it
 *   was taken under. Indexed by time for the retention rule.
 *
 * A migration NEVER changes once it has shipped; everything it needs lives in this file.
 */
import { sql, type Kysely, type Migration } from 'kysely';

async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('clusters').addColumn('last_read_error', 'text').execute();
  await db.schema.alterTable('clusters').addColumn('last_read_error_at', 'text').execute();

  await db.schema.alterTable('jobs').addColumn('entity_id', 'integer').execute();
  await db.schema
    .createIndex('jobs_entity_idx')
    .on('jobs')
    .columns(['entity_type', 'entity_id', 'id'])
    .execute();

  await db.schema
    .createTable('usage_snapshots_0005')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('taken_at', 'text', (c) => c.notNull())
    .addColumn('virtual_account_id', 'integer', (c) => c.notNull())
    .addColumn('smart_account_domain', 'text')
    .addColumn('virtual_account_name', 'text')
    .addColumn('license_type', 'text', (c) => c.notNull())
    .addColumn('quantity', 'integer', (c) => c.notNull())
    .addColumn('in_use', 'integer', (c) => c.notNull())
    .addColumn('available', 'integer', (c) => c.notNull())
    .addColumn('shortage', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await sql`insert into usage_snapshots_0005
      (id, taken_at, virtual_account_id, smart_account_domain, virtual_account_name,
       license_type, quantity, in_use, available, shortage)
    select s.id, s.taken_at, s.virtual_account_id, sa.domain, va.name,
       s.license_type, s.quantity, s.in_use, s.available, s.shortage
    from usage_snapshots s
    left join virtual_accounts va on va.id = s.virtual_account_id
    left join smart_accounts sa on sa.id = va.smart_account_id`.execute(db);
  await db.schema.dropTable('usage_snapshots').execute();
  await sql`alter table usage_snapshots_0005 rename to usage_snapshots`.execute(db);
  await db.schema
    .createIndex('usage_snapshots_va_type_at_idx')
    .on('usage_snapshots')
    .columns(['virtual_account_id', 'license_type', 'taken_at'])
    .execute();
  await db.schema
    .createIndex('usage_snapshots_at_idx')
    .on('usage_snapshots')
    .column('taken_at')
    .execute();
}

export const migration0005ReadSide: Migration = { up };
