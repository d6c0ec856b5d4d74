/**
 * 0010-read-indexes: indexes the read models (core/reports) need at scale — about 10 000
 * clusters and a year of daily usage snapshots (issue 8's speed targets). Indexes only: no
 * table or row changes, so nothing an operator set up is touched.
 *
 * - `clusters_va_customer_idx` (virtual_account_id, customer_id) replaces `clusters_va_idx`
 *   (virtual_account_id), of which it is a prefix: the VA summary counts each VA's clusters
 *   and distinct customers from the index alone instead of reading every cluster row.
 * - `usage_snapshots_series_idx` (virtual_account_id, license_type, taken_at, id, quantity,
 *   in_use, available, shortage) replaces `usage_snapshots_va_type_at_idx` (the same first
 *   three columns): a trend or a forecast reads one VA's series from the index alone, in its
 *   order (time, then id), instead of one table page per snapshot scattered over a year.
 * - `license_details_end_idx` (end_date): terms ending within N days are found by date instead
 *   of reading every term line.
 * - `cluster_license_usage_count_idx` (cluster_id, count): the licenses each cluster counts,
 *   summed per cluster for the Cluster Summary and the alert state, from the index alone.
 */
import type { Kysely, Migration } from 'kysely';

async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('clusters_va_customer_idx')
    .on('clusters')
    .columns(['virtual_account_id', 'customer_id'])
    .execute();
  await db.schema.dropIndex('clusters_va_idx').execute();

  await db.schema
    .createIndex('usage_snapshots_series_idx')
    .on('usage_snapshots')
    .columns([
      'virtual_account_id',
      'license_type',
      'taken_at',
      'id',
      'quantity',
      'in_use',
      'available',
      'shortage',
    ])
    .execute();
  await db.schema.dropIndex('usage_snapshots_va_type_at_idx').execute();

  await db.schema
    .createIndex('license_details_end_idx')
    .on('license_details')
    .column('end_date')
    .execute();

  await db.schema
    .createIndex('cluster_license_usage_count_idx')
    .on('cluster_license_usage')
    .columns(['cluster_id', 'count'])
    .execute();
}

export const migration0010ReadIndexes: Migration = { up };
