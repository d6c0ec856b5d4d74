/** Compliance overview: in / out of compliance per SA, VA and customer; what expires soon. */
import type { Compliance } from '../domain/compliance.ts';
import { virtualAccountSummary, type VirtualAccountSummaryRow } from './accounts.ts';
import { attentionList, clustersInTrouble, type AttentionItem } from './attention.ts';
import { clusterSummary, type ClusterSummaryRow } from './clusters.ts';
import type { ReportDb } from './common.ts';
import { cmp } from './common.ts';
import { expiringTerms, type TermRow } from './usage.ts';

export interface ComplianceRow {
  /** SA domain, VA label (`<sa>/<va>`) or customer name. */
  name: string;
  compliance: Compliance;
  /** License types short (VA and SA level), or of the VAs the customer draws on. */
  shortTypes: string[];
  shortage: number;
  /**
   * Clusters an open, unmuted alert names (the attention list): the same clusters `status`,
   * the overview and the pages list. A cluster whose authorization is lost is always named.
   */
  clustersInTrouble: number;
  clusters: number;
}

export interface ComplianceOverview {
  smartAccounts: ComplianceRow[];
  virtualAccounts: ComplianceRow[];
  customers: ComplianceRow[];
  /** Term lines ending within `withinDays`. */
  expiringTerms: TermRow[];
  /** Clusters whose authorization, evaluation or overage runs out within `clusterWithinDays`. */
  expiringClusters: ClusterSummaryRow[];
  withinDays: number;
  clusterWithinDays: number;
}

const TROUBLE: ReadonlySet<string> = new Set([
  'Out of compliance',
  'Authorization Expired',
  'Evaluation Expired',
]);

function merge(
  rows: ComplianceRow[],
  into: Map<string, ComplianceRow>,
  name: string,
  r: ComplianceRow,
) {
  const m = into.get(name) ?? {
    name,
    compliance: 'In Compliance',
    shortTypes: [],
    shortage: 0,
    clustersInTrouble: 0,
    clusters: 0,
  };
  if (r.compliance === 'Out of Compliance') m.compliance = 'Out of Compliance';
  for (const t of r.shortTypes) if (!m.shortTypes.includes(t)) m.shortTypes.push(t);
  m.shortage += r.shortage;
  if (!into.has(name)) {
    into.set(name, m);
    rows.push(m);
  }
}

export async function complianceOverview(
  db: ReportDb,
  opts: { now: Date; withinDays?: number; clusterWithinDays?: number },
): Promise<ComplianceOverview> {
  const [vas, clusters, list] = await Promise.all([
    virtualAccountSummary(db),
    clusterSummary(db, { now: opts.now }),
    attentionList(db, opts),
  ]);
  return complianceFrom(db, opts, vas, clusters, list.items);
}

/**
 * The compliance overview from summaries and the attention list already read at `opts.now`
 * (unfiltered): `statusOverview` shows them too and reads each once.
 */
export async function complianceFrom(
  db: ReportDb,
  opts: { now: Date; withinDays?: number; clusterWithinDays?: number },
  vas: readonly VirtualAccountSummaryRow[],
  clusters: readonly ClusterSummaryRow[],
  attention: readonly AttentionItem[],
): Promise<ComplianceOverview> {
  // Terms: CSSM's expiring-licenses windows are 90 / 60 / 30 days. Clusters: authorization
  // always ends within 90 days of the last renewal, so a shorter default says something.
  const withinDays = opts.withinDays ?? 90;
  const clusterWithinDays = opts.clusterWithinDays ?? 30;
  const rows = complianceRows(vas, clusters, attention);
  const horizon = clusterWithinDays;
  const expiringClusters = clusters
    .filter((c) => c.daysLeft !== null && c.daysLeft > 0 && c.daysLeft <= horizon)
    .sort((a, b) => a.daysLeft! - b.daysLeft! || cmp(a.name, b.name));
  return {
    ...rows,
    expiringTerms: await expiringTerms(db, { now: opts.now, withinDays }),
    expiringClusters,
    withinDays,
    clusterWithinDays,
  };
}

/**
 * The compliance rows per SA, VA and customer (pure). A customer's row depends only on its own
 * clusters and the VAs they draw on, so given one customer's clusters it is that customer's
 * row of the whole estate's (`status <customer>` reads only its scope).
 */
export function complianceRows(
  vas: readonly VirtualAccountSummaryRow[],
  clusters: readonly ClusterSummaryRow[],
  attention: readonly AttentionItem[],
): Pick<ComplianceOverview, 'smartAccounts' | 'virtualAccounts' | 'customers'> {
  const named = clustersInTrouble(attention);
  const vaRows = new Map<number, ComplianceRow>();
  const virtualAccounts: ComplianceRow[] = vas.map((v) => {
    const row: ComplianceRow = {
      name: v.label,
      compliance: v.compliance,
      shortTypes: v.shortTypes,
      shortage: v.shortage,
      clustersInTrouble: 0,
      clusters: 0,
    };
    vaRows.set(v.id, row);
    return row;
  });
  const saRows: ComplianceRow[] = [];
  const saMap = new Map<string, ComplianceRow>();
  for (const v of vas) merge(saRows, saMap, v.smartAccountDomain, vaRows.get(v.id)!);
  const custRows: ComplianceRow[] = [];
  const custMap = new Map<string, ComplianceRow>();
  const custVas = new Map<string, Set<number>>();
  for (const c of clusters) {
    // Compliance follows the product's authorization; "in trouble" follows the open alerts.
    const lost = c.authorization !== null && TROUBLE.has(c.authorization);
    const trouble = named.has(c.id) ? 1 : 0;
    let cust = custMap.get(c.customer);
    if (!cust) {
      cust = {
        name: c.customer,
        compliance: 'In Compliance',
        shortTypes: [],
        shortage: 0,
        clustersInTrouble: 0,
        clusters: 0,
      };
      custMap.set(c.customer, cust);
      custRows.push(cust);
    }
    cust.clusters++;
    cust.clustersInTrouble += trouble;
    if (lost) cust.compliance = 'Out of Compliance';
    if (c.virtualAccountId !== null) {
      const va = vaRows.get(c.virtualAccountId);
      if (va) {
        va.clusters++;
        va.clustersInTrouble += trouble;
        const seen = custVas.get(c.customer) ?? new Set<number>();
        if (!seen.has(c.virtualAccountId)) {
          seen.add(c.virtualAccountId);
          custVas.set(c.customer, seen);
          if (va.compliance === 'Out of Compliance') cust.compliance = 'Out of Compliance';
          for (const t of va.shortTypes) if (!cust.shortTypes.includes(t)) cust.shortTypes.push(t);
          cust.shortage += va.shortage;
        }
      }
      const sa = c.smartAccountDomain ? saMap.get(c.smartAccountDomain) : undefined;
      if (sa) {
        sa.clusters++;
        sa.clustersInTrouble += trouble;
      }
    }
  }
  custRows.sort((a, b) => cmp(a.name, b.name));
  return { smartAccounts: saRows, virtualAccounts, customers: custRows };
}
