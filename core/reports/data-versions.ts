/**
 * What tells a reader (the site build) that an account's or a cluster's stored data changed
 * without reading it: each account's `data_version` (moved, in the sync's own transaction, by
 * a sync that wrote what a page shows or recorded a result that differs; see
 * smart-accounts.repository `updateSyncStatus`) and, per cluster, the writes made outside a
 * sync — its row's `updated_at` (registration, mode, VA moves), its jobs and its nodes. Three
 * aggregate queries over small columns, whatever the size of the data they vouch for.
 */
import type { ReportDb } from './common.ts';

export interface DataVersions {
  /** Smart account id → its data version. */
  accounts: Map<number, number>;
  /** Cluster id → a stamp of its writes outside a sync (equal stamps: nothing written). */
  clusters: Map<number, string>;
}

export async function dataVersions(db: ReportDb): Promise<DataVersions> {
  const [accounts, clusters, jobs, nodes] = await Promise.all([
    db.selectFrom('smart_accounts').select(['id', 'data_version']).execute(),
    db.selectFrom('clusters').select(['id', 'updated_at']).execute(),
    db
      .selectFrom('jobs')
      .where('entity_type', '=', 'Cluster')
      .where('entity_id', 'is not', null)
      .select((eb) => [
        'entity_id',
        eb.fn.countAll<number>().as('n'),
        eb.fn.max('id').as('last'),
        eb.fn.max('completed_at').as('done'),
      ])
      .groupBy('entity_id')
      .execute(),
    db
      .selectFrom('cluster_nodes')
      // Nodes are replaced whole (new ids): the newest id says a replacement happened.
      .select((eb) => ['cluster_id', eb.fn.countAll<number>().as('n'), eb.fn.max('id').as('last')])
      .groupBy('cluster_id')
      .execute(),
  ]);
  const jobsOf = new Map(jobs.map((j) => [j.entity_id, `${j.n}/${j.last}/${j.done ?? ''}`]));
  const nodesOf = new Map(nodes.map((n) => [n.cluster_id, `${n.n}/${n.last}`]));
  return {
    accounts: new Map(accounts.map((a) => [a.id, Number(a.data_version)])),
    clusters: new Map(
      clusters.map((c) => [
        c.id,
        `${c.updated_at}|${jobsOf.get(c.id) ?? ''}|${nodesOf.get(c.id) ?? ''}`,
      ]),
    ),
  };
}
