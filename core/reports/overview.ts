/**
 * `status` and the site's overview: one look at everything (or at one customer) — the
 * counters, a one-sentence verdict and the attention list (the open alerts). Every counter is
 * counted here, from the same rows as the lists it summarizes: "failed" is the Cluster
 * Summary's `--failed` filter, "in trouble" is the clusters the open alerts name.
 */
import type { AlertSeverity } from '../store/schema.ts';
import {
  smartAccountSummary,
  virtualAccountSummary,
  type SmartAccountSummaryRow,
} from './accounts.ts';
import {
  attentionFor,
  attentionList,
  clustersInTrouble,
  severityCounts,
  type AttentionItem,
} from './attention.ts';
import { clusterFailed, clusterSummary, type ClusterSummaryRow } from './clusters.ts';
import type { ReportDb } from './common.ts';
import { complianceRows, type ComplianceRow } from './compliance.ts';

export interface StatusCounts {
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
    /** As `cluster list --failed`: registration or latest job failed, or authorization lost. */
    failed: number;
    /** Clusters the open alerts name. */
    inTrouble: number;
  };
  customers: {
    /** Customers with clusters. */
    total: number;
    compliant: number;
    /** Customers an open alert concerns. */
    withAlerts: number;
  };
  /** Open alerts not muted: the attention list's length. */
  openAlerts: number;
  alertsBySeverity: Record<AlertSeverity, number>;
  /** Open alerts muted now (not in the attention list). */
  mutedAlerts: number;
}

export interface StatusOverview extends StatusCounts {
  at: Date;
  /** The customer this answers for; null: everything. */
  customer: { id: number; name: string } | null;
  /** No virtual account out of compliance and no failed cluster. */
  compliant: boolean;
  /** One sentence: the same on `status` (every face) and the site's overview. */
  verdict: string;
  /** Accounts (all, or those holding the customer's clusters). */
  accounts: SmartAccountSummaryRow[];
  /** The open alerts (all, or those concerning the customer), most severe first. */
  attention: AttentionItem[];
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The one-sentence verdict of a status (pure: the counters say it all). */
export function statusVerdict(
  c: StatusCounts & { compliant: boolean; customer: { name: string } | null },
): string {
  const who = c.customer ? `${c.customer.name} is` : 'Everything is';
  const alerts =
    c.openAlerts === 0
      ? 'nothing needs attention'
      : `${plural(c.openAlerts, 'open alert')} need${c.openAlerts === 1 ? 's' : ''} attention (${SEVERITIES.filter(
          (s) => c.alertsBySeverity[s] > 0,
        )
          .map((s) => `${c.alertsBySeverity[s]} ${s}`)
          .join(
            ', ',
          )})${c.clusters.inTrouble > 0 ? `, naming ${c.clusters.inTrouble} of ${plural(c.clusters.total, 'cluster')}` : ''}`;
  if (c.compliant) return `${who} in compliance; ${alerts}.`;
  const why = [
    c.virtualAccounts.outOfCompliance > 0
      ? `${c.virtualAccounts.outOfCompliance} of ${plural(c.virtualAccounts.total, 'virtual account')} out of compliance`
      : null,
    c.clusters.failed > 0
      ? `${c.clusters.failed} of ${plural(c.clusters.total, 'cluster')} failed`
      : null,
  ].filter((x): x is string => x !== null);
  return `${c.customer ? `${c.customer.name} is not` : 'Not'} in compliance: ${why.join(', ')}; ${alerts}.`;
}

const SEVERITIES: readonly AlertSeverity[] = ['critical', 'warning', 'info'];

/**
 * Status of everything, or of one customer (its clusters, the VAs they draw on, the accounts
 * holding those, and the open alerts concerning it).
 */
export async function statusOverview(
  db: ReportDb,
  opts: {
    now: Date;
    customerId?: number;
    /** The whole-estate Cluster Summary as of `now` when the caller has it (read once). */
    clusters?: ClusterSummaryRow[];
  },
): Promise<StatusOverview> {
  return (await statusAndCompliance(db, opts)).status;
}

/**
 * `status <customer>`: the customer's status and its compliance row (as the compliance
 * overview has it), reading only its scope: its clusters' lifecycles are computed, not the
 * estate's (the accounts, VAs and open alerts are read whole: one row each, no lifecycle).
 */
export async function customerStatus(
  db: ReportDb,
  opts: { now: Date; customerId: number },
): Promise<{ status: StatusOverview; compliance: ComplianceRow | undefined }> {
  const { status, customerRows } = await statusAndCompliance(db, opts);
  const name = status.customer?.name;
  return { status, compliance: customerRows.find((r) => r.name === name) };
}

async function statusAndCompliance(
  db: ReportDb,
  opts: { now: Date; customerId?: number; clusters?: ClusterSummaryRow[] },
): Promise<{ status: StatusOverview; customerRows: ComplianceRow[] }> {
  const cid = opts.customerId;
  // One customer and no whole-estate summary at hand: only its clusters. Every counter below
  // reads the customer's clusters (and the VAs they draw on) only, so the figures are those
  // of the whole-estate summary filtered (test/integration/status-scope.test.ts).
  const scoped = cid !== undefined && opts.clusters === undefined;
  const [allAccounts, allVas, allClusters, list] = await Promise.all([
    smartAccountSummary(db, opts),
    virtualAccountSummary(db),
    opts.clusters ??
      clusterSummary(db, { now: opts.now, ...(scoped ? { filter: { customerId: cid } } : {}) }),
    attentionList(db, opts),
  ]);
  const compliance = complianceRows(allVas, allClusters, list.items);
  const clusters =
    cid === undefined || scoped ? allClusters : allClusters.filter((c) => c.customerId === cid);
  const vaIds = new Set(clusters.map((c) => c.virtualAccountId));
  const vas = cid === undefined ? allVas : allVas.filter((v) => vaIds.has(v.id));
  const saIds = new Set(vas.map((v) => v.smartAccountId));
  const accounts = cid === undefined ? allAccounts : allAccounts.filter((a) => saIds.has(a.id));
  const attention = cid === undefined ? list.items : attentionFor(list.items, { customerId: cid });
  const named = clustersInTrouble(attention);
  const byAuthorization: Record<string, number> = {};
  let unreachable = 0;
  let failed = 0;
  let inTrouble = 0;
  for (const c of clusters) {
    const k = c.authorization ?? 'unknown';
    byAuthorization[k] = (byAuthorization[k] ?? 0) + 1;
    if (c.reachable === false) unreachable++;
    if (clusterFailed(c)) failed++;
    if (named.has(c.id)) inTrouble++;
  }
  const customerNames = cid === undefined ? null : new Set(clusters.map((c) => c.customer));
  const custRows = compliance.customers.filter(
    (r) => customerNames === null || customerNames.has(r.name),
  );
  const customerIds = new Set(allClusters.map((c) => c.customerId));
  const alerted = new Set(attention.flatMap((a) => a.concerns.customers));
  const customer =
    cid === undefined
      ? null
      : {
          id: cid,
          name:
            clusters[0]?.customer ??
            attention.find((a) => a.customer?.id === cid)?.customer?.name ??
            String(cid),
        };
  const counts: StatusCounts = {
    virtualAccounts: {
      total: vas.length,
      outOfCompliance: vas.filter((v) => v.compliance === 'Out of Compliance').length,
      missing: vas.filter((v) => v.missingSince !== null).length,
    },
    clusters: { total: clusters.length, byAuthorization, unreachable, failed, inTrouble },
    customers: {
      total: custRows.length,
      compliant: custRows.filter((r) => r.compliance === 'In Compliance').length,
      withAlerts: [...alerted].filter((id) =>
        cid === undefined ? customerIds.has(id) : id === cid,
      ).length,
    },
    openAlerts: attention.length,
    alertsBySeverity: severityCounts(attention),
    mutedAlerts: (cid === undefined ? list.muted : attentionFor(list.muted, { customerId: cid }))
      .length,
  };
  const compliant = counts.virtualAccounts.outOfCompliance === 0 && failed === 0;
  return {
    status: {
      at: opts.now,
      customer,
      compliant,
      verdict: statusVerdict({ ...counts, compliant, customer }),
      accounts,
      ...counts,
      attention,
    },
    customerRows: custRows,
  };
}
