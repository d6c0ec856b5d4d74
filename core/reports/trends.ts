/**
 * Trends and forecast from the usage snapshots a sync appends (one row per VA and license type
 * per sync; older than the retention window, one a day).
 */
import { sql } from 'kysely';
import { shortageOf } from '../domain/compliance.ts';
import { DAY_MS } from '../domain/lifecycle.ts';
import { epochMs, jsonIntList } from '../store/dialect.ts';
import { byType } from './usage.ts';
import {
  licenseLabel,
  virtualAccountRefs,
  type ReportDb,
  type VirtualAccountRef,
} from './common.ts';

export interface TrendPoint {
  at: Date;
  quantity: number;
  inUse: number;
  available: number;
  shortage: number;
}

export interface TrendSeries {
  licenseType: string;
  label: string;
  /** Oldest first. */
  points: TrendPoint[];
}

/** Usage over time of one VA, per license type (catalog order). */
export async function usageTrend(
  db: ReportDb,
  opts: { virtualAccountId: number; licenseType?: string; from?: Date; to?: Date },
): Promise<TrendSeries[]> {
  let q = db
    .selectFrom('usage_points')
    .select(['taken_at', 'license_type', 'quantity', 'in_use', 'available', 'shortage'])
    .where('virtual_account_id', '=', opts.virtualAccountId);
  if (opts.licenseType !== undefined) q = q.where('license_type', '=', opts.licenseType);
  if (opts.from !== undefined) q = q.where('taken_at', '>=', opts.from.toISOString());
  if (opts.to !== undefined) q = q.where('taken_at', '<', opts.to.toISOString());
  // In index order (VA, type, time): no sort step over a year of rows.
  const rows = await q.orderBy('license_type').orderBy('taken_at').orderBy('ord').execute();
  const by = new Map<string, TrendSeries>();
  for (const r of rows) {
    let s = by.get(r.license_type);
    if (!s) {
      s = { licenseType: r.license_type, label: licenseLabel(r.license_type), points: [] };
      by.set(r.license_type, s);
    }
    s.points.push({
      at: new Date(r.taken_at),
      quantity: r.quantity,
      inUse: r.in_use,
      available: r.available,
      shortage: r.shortage,
    });
  }
  return [...by.values()].sort(byType);
}

export type ForecastOutcome = 'already short' | 'no growth' | 'crosses' | 'not enough data';

export interface ForecastRow {
  licenseType: string;
  label: string;
  /** Latest snapshot's counts. */
  owned: number;
  inUse: number;
  outcome: ForecastOutcome;
  /** Least-squares slope of in-use over the window, licenses per day. */
  slopePerDay: number | null;
  /** `crosses`: when in-use reaches owned at the current trend. */
  crossesAt: Date | null;
  daysUntil: number | null;
  /** Snapshots in the window the fit used. */
  points: number;
}

export interface Forecast {
  va: VirtualAccountRef;
  windowDays: number;
  rows: ForecastRow[];
}

/** Growth below this many licenses a day counts as none (noise in a flat series). */
const NO_GROWTH_PER_DAY = 1e-6;

/**
 * What a least-squares fit of one series (one VA and license type) over a window needs, summed
 * by SQLite: the number of points, the means of x (days from `now`) and y (in use), the centred
 * sums Σ(x−x̄)² and Σ(x−x̄)(y−ȳ) (the two-pass form, as stable as summing in JS), and the latest
 * point (by time, then id).
 */
interface SeriesFit {
  virtualAccountId: number;
  licenseType: string;
  n: number;
  mx: number;
  my: number;
  sxx: number;
  sxy: number;
  last: { quantity: number; inUse: number; available: number; shortage: number };
}

/**
 * The fit of every series of the VAs given, in one statement per 500 VAs: the points of the
 * window (usage_points: the rows from usage_snapshots_series_idx, the repeats expanded) are
 * read once and summed inside SQLite (no row per point reaches JS), and the latest point of
 * each series is taken from the same rows.
 */
async function seriesFits(
  db: ReportDb,
  virtualAccountIds: readonly number[],
  now: Date,
  windowDays: number,
): Promise<SeriesFit[]> {
  const t0 = now.getTime();
  const from = new Date(t0 - windowDays * DAY_MS).toISOString();
  const to = new Date(t0 + 1).toISOString();
  const out: SeriesFit[] = [];
  for (let i = 0; i < virtualAccountIds.length; i += 500) {
    const ids = virtualAccountIds.slice(i, i + 500);
    // x: whole milliseconds since the epoch (SQLite keeps times in ms), minus now, in days —
    // the same division of the same integers as (at − now) / DAY_MS in JS.
    const { rows } = await sql<{
      va: number;
      lt: string;
      n: number;
      mx: number;
      my: number;
      sxx: number;
      sxy: number;
      quantity: number;
      in_use: number;
      available: number;
      shortage: number;
    }>`with
      w as materialized (
        select s.virtual_account_id as va, s.license_type as lt, s.in_use as y, s.id, s.ord,
          s.taken_at,
          (${epochMs(db, 's.taken_at')} - ${t0}) / ${sql.raw(`${DAY_MS}.0`)} as x
        from usage_points s
        where s.virtual_account_id in ${jsonIntList(db, JSON.stringify(ids))}
          and s.taken_at >= ${from} and s.taken_at < ${to}),
      m as (select va, lt, count(*) as n, avg(x) as mx, avg(y) as my from w group by va, lt),
      f as (
        select m.va, m.lt, m.n, m.mx, m.my,
          sum((w.x - m.mx) * (w.x - m.mx)) as sxx,
          sum((w.x - m.mx) * (w.y - m.my)) as sxy
        from m join w on w.va = m.va and w.lt = m.lt
        group by m.va, m.lt, m.n, m.mx, m.my),
      -- The latest point of each series, from the rows already read (a correlated subquery
      -- on usage_points would evaluate the whole view once per series).
      l as (
        select va, lt, id from (
          select va, lt, id,
            row_number() over (partition by va, lt order by taken_at desc, ord desc) as rn
          from w) as ranked
        where rn = 1)
      select f.*, s.quantity, s.in_use, s.available, s.shortage
      from f join l on l.va = f.va and l.lt = f.lt
      join usage_snapshots s on s.id = l.id`.execute(db);
    for (const r of rows) {
      out.push({
        virtualAccountId: r.va,
        licenseType: r.lt,
        n: Number(r.n),
        mx: r.mx,
        my: r.my,
        sxx: r.sxx,
        sxy: r.sxy,
        last: {
          quantity: r.quantity,
          inUse: r.in_use,
          available: r.available,
          shortage: r.shortage,
        },
      });
    }
  }
  return out;
}

/**
 * The forecast rule of one series at `now` (the one implementation: `forecast` and the alert
 * rules' `forecastsFor` both come here). Least squares y = a + b·x; no fit when there are
 * fewer than two points or the x values do not vary.
 */
function forecastRow(s: SeriesFit, now: Date): ForecastRow {
  const last = s.last;
  const base = {
    licenseType: s.licenseType,
    label: licenseLabel(s.licenseType),
    owned: last.quantity,
    inUse: last.inUse,
    points: s.n,
  };
  if (shortageOf(last) > 0 || last.shortage > 0) {
    return { ...base, outcome: 'already short', slopePerDay: null, crossesAt: null, daysUntil: 0 };
  }
  if (s.n < 2 || s.sxx === 0) {
    return {
      ...base,
      outcome: 'not enough data',
      slopePerDay: null,
      crossesAt: null,
      daysUntil: null,
    };
  }
  const b = s.sxy / s.sxx;
  const a = s.my - b * s.mx;
  if (b <= NO_GROWTH_PER_DAY) {
    return { ...base, outcome: 'no growth', slopePerDay: b, crossesAt: null, daysUntil: null };
  }
  // Days from now until the fitted line reaches owned (never in the past: not short now).
  const days = Math.max(0, (last.quantity - a) / b);
  return {
    ...base,
    outcome: 'crosses',
    slopePerDay: b,
    crossesAt: new Date(now.getTime() + days * DAY_MS),
    daysUntil: Math.ceil(days),
  };
}

/**
 * When in-use crosses owned for each license type of the VA, at the trend of the last
 * `windowDays` (least squares over the snapshots in the window; default 90). Owned is the
 * latest snapshot's quantity: a forecast says what happens if nothing is bought.
 */
export async function forecast(
  db: ReportDb,
  opts: { virtualAccountId: number; now: Date; windowDays?: number },
): Promise<Forecast> {
  const va = (await virtualAccountRefs(db, [opts.virtualAccountId])).get(opts.virtualAccountId);
  if (!va) throw new Error(`virtual account ${opts.virtualAccountId} does not exist`);
  const windowDays = opts.windowDays ?? 90;
  const fits = await seriesFits(db, [va.id], opts.now, windowDays);
  const rows = fits.map((f) => forecastRow(f, opts.now)).sort(byType);
  return { va, windowDays, rows };
}

/**
 * `forecast` for many VAs at once (alert evaluation), by VA id: one statement per 500 VAs.
 * VAs without snapshots in the window are left out.
 */
export async function forecastsFor(
  db: ReportDb,
  opts: { virtualAccountIds: readonly number[]; now: Date; windowDays?: number },
): Promise<Map<number, ForecastRow[]>> {
  const fits = await seriesFits(db, opts.virtualAccountIds, opts.now, opts.windowDays ?? 90);
  const out = new Map<number, ForecastRow[]>();
  for (const f of fits) {
    const list = out.get(f.virtualAccountId);
    const row = forecastRow(f, opts.now);
    if (list) list.push(row);
    else out.set(f.virtualAccountId, [row]);
  }
  for (const list of out.values()) list.sort(byType);
  return out;
}
