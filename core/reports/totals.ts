/**
 * Totals across every virtual account: what the overview charts "owned versus in use per license
 * type" and "usage trend across VAs" show. Each is one query. A VA's surplus never covers another
 * VA's shortage (CSSM pools licenses per VA), so shortages are added up VA by VA, by the one rule
 * of core/domain/compliance. A satellite local account's VA that mirrors a cloud VA smartlic
 * also syncs (core/reports/mirrors.ts) is counted once: the cloud VA's rows count.
 */
import { sql } from 'kysely';
import { isShort, shortageOf } from '../domain/compliance.ts';
import { perDialect, textParam } from '../store/dialect.ts';
import { licenseLabel, type ReportDb } from './common.ts';
import { mirrorVaIds } from './mirrors.ts';
import { byType } from './usage.ts';

export interface LicenseTypeTotal {
  /** Catalog id (`UCM_CUWL`) or, when unknown to the catalog, CSSM's license name. */
  licenseType: string;
  label: string;
  /** Sums over every VA that lists the type. */
  owned: number;
  inUse: number;
  available: number;
  /** Sum of each VA's own shortage of the type. */
  shortage: number;
  /** VAs that list the type, and those of them short of it. */
  virtualAccounts: number;
  shortVirtualAccounts: number;
}

/**
 * Owned, in use, available and shortage per license type, over every VA (catalog order), a
 * satellite's mirror of a cloud VA counted once.
 */
export async function licenseTotals(db: ReportDb): Promise<LicenseTypeTotal[]> {
  const rows = await db
    .selectFrom('licenses')
    .select(['virtual_account_id', 'license_type', 'quantity', 'in_use', 'available', 'status'])
    .where('virtual_account_id', 'not in', mirrorVaIds())
    .execute();
  const by = new Map<string, LicenseTypeTotal & { vas: Set<number>; short: Set<number> }>();
  for (const r of rows) {
    let t = by.get(r.license_type);
    if (!t) {
      t = {
        licenseType: r.license_type,
        label: licenseLabel(r.license_type),
        owned: 0,
        inUse: 0,
        available: 0,
        shortage: 0,
        virtualAccounts: 0,
        shortVirtualAccounts: 0,
        vas: new Set(),
        short: new Set(),
      };
      by.set(r.license_type, t);
    }
    const counts = {
      quantity: r.quantity,
      inUse: r.in_use,
      available: r.available,
      status: r.status,
    };
    t.owned += r.quantity;
    t.inUse += r.in_use;
    t.available += r.available;
    t.shortage += shortageOf(counts);
    t.vas.add(r.virtual_account_id);
    if (isShort(counts)) t.short.add(r.virtual_account_id);
  }
  return [...by.values()]
    .map(({ vas, short, ...t }) => ({
      ...t,
      virtualAccounts: vas.size,
      shortVirtualAccounts: short.size,
    }))
    .sort(byType);
}

export interface TrendTotalPoint {
  /** The day (UTC, `YYYY-MM-DD`). */
  day: string;
  owned: number;
  inUse: number;
  available: number;
  shortage: number;
  /** VAs with a snapshot of the type that day (a VA not synced that day is not in the sums). */
  virtualAccounts: number;
}

export interface TrendTotalSeries {
  licenseType: string;
  label: string;
  /** Oldest first. */
  points: TrendTotalPoint[];
}

/**
 * Usage over time across every VA, a point a day per license type: each VA's last snapshot of
 * the day, added up. Accounts sync at different times, so a day (the retention window keeps one
 * snapshot a day anyway) is the unit in which VAs line up. `from`/`to` bound the snapshot time.
 */
export async function usageTrendTotals(
  db: ReportDb,
  opts: { from?: Date; to?: Date } = {},
): Promise<TrendTotalSeries[]> {
  const from = opts.from?.toISOString() ?? null;
  const to = opts.to?.toISOString() ?? null;
  // SQLite: with max(), the bare columns come from the row holding the maximum (the last
  // snapshot of the day for each VA and type).
  const { rows } = await sql<{
    day: string;
    license_type: string;
    owned: number;
    in_use: number;
    available: number;
    shortage: number;
    vas: number;
  }>`
    select day, license_type, sum(quantity) as owned, sum(in_use) as in_use,
           sum(available) as available, sum(shortage) as shortage, count(*) as vas
    from ${perDialect(db, {
      sqlite: sql`(
      select substr(taken_at, 1, 10) as day, virtual_account_id, license_type, quantity,
             in_use, available, shortage, max(taken_at) as last_at
      from usage_points
      where (${from} is null or taken_at >= ${from}) and (${to} is null or taken_at < ${to})
        and (virtual_account_id is null or virtual_account_id not in ${mirrorVaIds()})
      group by virtual_account_id, license_type, day
    )`,
      // PostgreSQL has no bare columns beside max(): DISTINCT ON keeps the same row, the
      // day's last of each VA and type.
      postgres: sql`(
      select distinct on (virtual_account_id, license_type, substr(taken_at, 1, 10))
             substr(taken_at, 1, 10) as day, virtual_account_id, license_type, quantity,
             in_use, available, shortage
      from usage_points
      where (${textParam(db, from)} is null or taken_at >= ${from})
        and (${textParam(db, to)} is null or taken_at < ${to})
        and (virtual_account_id is null or virtual_account_id not in ${mirrorVaIds()})
      order by virtual_account_id, license_type, substr(taken_at, 1, 10), taken_at desc, ord desc
    ) as last_of_day`,
    })}
    group by day, license_type
    order by day, license_type
  `.execute(db);
  const by = new Map<string, TrendTotalSeries>();
  for (const r of rows) {
    let s = by.get(r.license_type);
    if (!s) {
      s = { licenseType: r.license_type, label: licenseLabel(r.license_type), points: [] };
      by.set(r.license_type, s);
    }
    s.points.push({
      day: r.day,
      owned: r.owned,
      inUse: r.in_use,
      available: r.available,
      shortage: r.shortage,
      virtualAccounts: r.vas,
    });
  }
  return [...by.values()].sort(byType);
}
