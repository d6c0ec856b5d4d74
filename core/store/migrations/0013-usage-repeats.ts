/**
 * 0013-usage-repeats: a sync that finds a VA's usage unchanged writes one small row, not a
 * snapshot row per license type (issue 23: a re-sync with nothing changed wrote ~10,000
 * snapshot rows at scale 1000, each a page of the series index: 35–38 MB).
 *
 * - `usage_repeats` (virtual_account_id, taken_at, first_id, last_id): "at taken_at, the VA's
 *   usage was the snapshot rows first_id..last_id again" (one sync's rows of one VA are one
 *   insert, so contiguous ids). Indexed by (VA, time) for the readers and by time for retention.
 * - `usage_points`: every point a reader sees, the stored rows and the repeats expanded, with
 *   `ord` ordering points of equal time as the rows of the old form were (by id): a repeat sorts
 *   after the rows it repeats and before any row written later. The read models read this view
 *   and answer exactly as when every sync wrote its rows.
 */
import { sql, type Kysely, type Migration } from 'kysely';

async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('usage_repeats')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('virtual_account_id', 'integer', (c) => c.notNull())
    .addColumn('taken_at', 'text', (c) => c.notNull())
    .addColumn('first_id', 'integer', (c) => c.notNull())
    .addColumn('last_id', 'integer', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('usage_repeats_va_at_idx')
    .on('usage_repeats')
    .columns(['virtual_account_id', 'taken_at'])
    .execute();
  await db.schema
    .createIndex('usage_repeats_at_idx')
    .on('usage_repeats')
    .column('taken_at')
    .execute();
  await sql`create view usage_points as
    select s.id, s.id as ord, s.taken_at, s.virtual_account_id, s.smart_account_domain,
      s.virtual_account_name, s.license_type, s.quantity, s.in_use, s.available, s.shortage
    from usage_snapshots s
    union all
    select s.id, r.last_id + 0.5 as ord, r.taken_at, r.virtual_account_id, s.smart_account_domain,
      s.virtual_account_name, s.license_type, s.quantity, s.in_use, s.available, s.shortage
    from usage_repeats r join usage_snapshots s on s.id between r.first_id and r.last_id`.execute(
    db,
  );
}

export const migration0013UsageRepeats: Migration = { up };
