/** `smartlic status`: one look at everything — accounts, compliance, clusters, attention. */
import {
  smartAccountSummary,
  virtualAccountSummary,
  type SmartAccountSummaryRow,
} from './accounts.ts';
import { attentionFrom, type AttentionItem } from './attention.ts';
import { clusterSummary } from './clusters.ts';
import type { ReportDb } from './common.ts';

export interface StatusOverview {
  at: Date;
  accounts: SmartAccountSummaryRow[];
  virtualAccounts: {
    total: number;
    outOfCompliance: number;
    /** VAs CSSM no longer lists (kept, with their settings, until removed). */
    missing: number;
  };
  clusters: {
    total: number;
    /** Effective authorization state → count ("unknown" for never read). */
    byAuthorization: Record<string, number>;
    unreachable: number;
    failed: number;
  };
  openAlerts: number;
  attention: AttentionItem[];
}

/** Reads the cluster and account summaries once each: the counts and the attention list share them. */
export async function statusOverview(db: ReportDb, opts: { now: Date }): Promise<StatusOverview> {
  const accounts = await smartAccountSummary(db, opts);
  const vas = await virtualAccountSummary(db);
  const clusters = await clusterSummary(db, opts);
  const byAuthorization: Record<string, number> = {};
  let unreachable = 0;
  let failed = 0;
  for (const c of clusters) {
    const k = c.authorization ?? 'unknown';
    byAuthorization[k] = (byAuthorization[k] ?? 0) + 1;
    if (c.reachable === false) unreachable++;
    if (c.status?.endsWith('Failed') || c.jobStatus === 'Failed') failed++;
  }
  const openAlerts = Number(
    (
      await db
        .selectFrom('alerts')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('state', '=', 'open')
        .executeTakeFirstOrThrow()
    ).n,
  );
  return {
    at: opts.now,
    accounts,
    virtualAccounts: {
      total: vas.length,
      outOfCompliance: vas.filter((v) => v.compliance === 'Out of Compliance').length,
      missing: vas.filter((v) => v.missingSince !== null).length,
    },
    clusters: { total: clusters.length, byAuthorization, unreachable, failed },
    openAlerts,
    attention: await attentionFrom(db, opts, clusters, accounts),
  };
}
