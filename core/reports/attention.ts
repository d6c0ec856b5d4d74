/**
 * What needs an operator's attention now: license shortages per VA, clusters whose
 * authorization is lost or about to be, failed registrations, unreachable products,
 * satellites overdue, failed syncs. The list `smartlic start`, `status` and the bot show.
 */
import { SATELLITE_SYNC_OVERDUE_DAYS, isShort, shortageOf } from '../domain/compliance.ts';
import { daysBetween } from '../domain/lifecycle.ts';
import { smartAccountSummary, type SmartAccountSummaryRow } from './accounts.ts';
import { clusterSummary, type ClusterSummaryRow } from './clusters.ts';
import { vaLabel, type ReportDb } from './common.ts';

export type AttentionKind =
  | 'shortage'
  | 'authorization'
  | 'expiring'
  | 'registration-failed'
  | 'unreachable'
  | 'satellite'
  | 'sync-failed';

export interface AttentionItem {
  kind: AttentionKind;
  severity: 'critical' | 'warning';
  /** What it is about: `<sa>/<va>`, `cluster <name>`, `satellite account <domain>`, … */
  subject: string;
  /** One line for the operator, subject included. */
  message: string;
}

export interface AttentionOptions {
  now: Date;
  /** Countdowns (authorization, evaluation, overage) at or below this many days are listed. Default 30. */
  expiryWarningDays?: number;
  /** Satellites are listed from this many days without a CSSM sync. Default 25. */
  satelliteWarningDays?: number;
}

const BAD: ReadonlySet<string> = new Set([
  'Authorization Expired',
  'Out of compliance',
  'Evaluation Expired',
]);

const WHAT: Record<string, string> = {
  authorization: 'authorization expires',
  evaluation: 'evaluation ends',
  overage: 'overage period ends',
  registration: 'registration expires',
};

/** The attention list, most severe first, in a stable order. */
export async function needsAttention(
  db: ReportDb,
  opts: AttentionOptions,
): Promise<AttentionItem[]> {
  const clusters = await clusterSummary(db, { now: opts.now });
  const accounts = await smartAccountSummary(db, { now: opts.now });
  return attentionFrom(db, opts, clusters, accounts);
}

/**
 * The attention list from a Cluster Summary and a Smart Account Summary already read at
 * `opts.now` (unfiltered): `statusOverview` shows both and reads each once.
 */
export async function attentionFrom(
  db: ReportDb,
  opts: AttentionOptions,
  clusters: readonly ClusterSummaryRow[],
  accounts: readonly SmartAccountSummaryRow[],
): Promise<AttentionItem[]> {
  const expiry = opts.expiryWarningDays ?? 30;
  const satWarn = opts.satelliteWarningDays ?? 25;
  const items: AttentionItem[] = [];
  const lines = await db
    .selectFrom('licenses as l')
    .innerJoin('virtual_accounts as v', 'v.id', 'l.virtual_account_id')
    .innerJoin('smart_accounts as s', 's.id', 'v.smart_account_id')
    // Candidates only (the SQL form of `isShort`'s inputs); `isShort` decides below.
    .where((eb) =>
      eb.or([
        eb('l.in_use', '>', eb.ref('l.quantity')),
        eb('l.available', '<', 0),
        // A superset of isShort's status test: SQLite's trim() strips spaces only, JS's trim()
        // also tabs, line ends and no-break spaces (test/integration/shortage-rule.test.ts).
        eb('l.status', 'like', '%insufficient licenses%'),
      ]),
    )
    .select([
      's.domain',
      'v.name',
      'l.license_type',
      'l.quantity',
      'l.in_use',
      'l.available',
      'l.status',
    ])
    .orderBy('s.domain')
    .orderBy('v.name')
    .execute();
  for (const l of lines) {
    const counts = {
      quantity: l.quantity,
      inUse: l.in_use,
      available: l.available,
      status: l.status,
    };
    if (!isShort(counts)) continue;
    const label = vaLabel(l.domain, l.name);
    items.push({
      kind: 'shortage',
      severity: 'critical',
      subject: label,
      message: `${label}: ${l.license_type} short by ${shortageOf(counts)} (${l.in_use} needed, ${l.quantity} owned)`,
    });
  }
  for (const c of clusters) {
    const subject = `cluster ${c.name}`;
    if (c.authorization !== null && BAD.has(c.authorization)) {
      items.push({
        kind: 'authorization',
        severity: 'critical',
        subject,
        message: `${subject}: ${c.authorization}${c.lifecycle.source === 'timers' ? ' (by its timers; the product has not said so)' : ''}`,
      });
    } else if (c.daysLeft !== null && c.daysLeftOf !== null && c.daysLeft <= expiry) {
      const at =
        c.daysLeftOf === 'evaluation'
          ? c.lifecycle.evaluationExpires
          : c.daysLeftOf === 'overage'
            ? c.lifecycle.overageExpires
            : c.daysLeftOf === 'registration'
              ? c.lifecycle.registrationExpires
              : c.lifecycle.authorizationExpires;
      items.push({
        kind: 'expiring',
        severity: 'warning',
        subject,
        message: `${subject}: ${WHAT[c.daysLeftOf]} ${at ? at.toISOString().slice(0, 10) : '?'} (in ${c.daysLeft} day${c.daysLeft === 1 ? '' : 's'})`,
      });
    }
    if (c.status?.endsWith('Failed')) {
      items.push({
        kind: 'registration-failed',
        severity: 'warning',
        subject,
        message: `${subject}: ${c.status}${c.job?.status === 'Failed' && c.job.statusInformation ? ` — ${c.job.statusInformation}` : ''}`,
      });
    }
    if (c.reachable === false) {
      items.push({
        kind: 'unreachable',
        severity: 'warning',
        subject,
        message: `${subject}: not answering since ${c.lifecycle.unreachableSince?.toISOString().slice(0, 10) ?? '?'}`,
      });
    }
  }
  for (const a of accounts) {
    if (a.lastSyncStatus === 'Failed') {
      items.push({
        kind: 'sync-failed',
        severity: 'warning',
        subject: a.domain,
        message: `${a.domain}: last sync failed${a.lastSyncError ? ` — ${a.lastSyncError}` : ''}`,
      });
    }
    if (a.source !== 'satellite' || a.lastSyncUp === null) continue;
    const subject = `satellite account ${a.domain}`;
    const last = a.satelliteLastSync;
    const age = last ? daysBetween(last, opts.now) : undefined;
    if (a.satelliteSyncOverdue) {
      items.push({
        kind: 'satellite',
        severity: 'critical',
        subject,
        message: `${subject}: sync with CSSM overdue (last ${age === undefined ? 'never' : `${age} days ago`})`,
      });
    } else if (age !== undefined && age >= satWarn) {
      items.push({
        kind: 'satellite',
        severity: 'warning',
        subject,
        message: `${subject}: last sync with CSSM ${age} days ago (overdue after ${SATELLITE_SYNC_OVERDUE_DAYS})`,
      });
    }
  }
  const rank = { critical: 0, warning: 1 };
  return items
    .map((it, i) => ({ it, i }))
    .sort((a, b) => rank[a.it.severity] - rank[b.it.severity] || a.i - b.i)
    .map((x) => x.it);
}
