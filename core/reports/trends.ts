/**
 * Trends and forecast from the usage snapshots a sync appends (one row per VA and license type
 * per sync; older than the retention window, one a day).
 */
import { shortageOf } from '../domain/compliance.ts';
import { DAY_MS } from '../domain/lifecycle.ts';
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
    .selectFrom('usage_snapshots')
    .select(['taken_at', 'license_type', 'quantity', 'in_use', 'available', 'shortage'])
    .where('virtual_account_id', '=', opts.virtualAccountId);
  if (opts.licenseType !== undefined) q = q.where('license_type', '=', opts.licenseType);
  if (opts.from !== undefined) q = q.where('taken_at', '>=', opts.from.toISOString());
  if (opts.to !== undefined) q = q.where('taken_at', '<', opts.to.toISOString());
  const rows = await q.orderBy('taken_at').orderBy('id').execute();
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

/** Least squares y = a + b·x; null when the x values do not vary. */
export function leastSquares(
  xs: readonly number[],
  ys: readonly number[],
): { a: number; b: number } | null {
  const n = xs.length;
  if (n < 2) return null;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < n; i++) {
    sx += xs[i]!;
    sy += ys[i]!;
  }
  const mx = sx / n;
  const my = sy / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i]! - mx;
    sxx += dx * dx;
    sxy += dx * (ys[i]! - my);
  }
  if (sxx === 0) return null;
  const b = sxy / sxx;
  return { a: my - b * mx, b };
}

/** Growth below this many licenses a day counts as none (noise in a flat series). */
const NO_GROWTH_PER_DAY = 1e-6;

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
  const from = new Date(opts.now.getTime() - windowDays * DAY_MS);
  const series = await usageTrend(db, {
    virtualAccountId: va.id,
    from,
    to: new Date(opts.now.getTime() + 1),
  });
  const rows: ForecastRow[] = series.map((s) => {
    const last = s.points[s.points.length - 1]!;
    const base = {
      licenseType: s.licenseType,
      label: s.label,
      owned: last.quantity,
      inUse: last.inUse,
      points: s.points.length,
    };
    if (shortageOf(last) > 0 || last.shortage > 0) {
      return {
        ...base,
        outcome: 'already short',
        slopePerDay: null,
        crossesAt: null,
        daysUntil: 0,
      };
    }
    const t0 = opts.now.getTime();
    const fit = leastSquares(
      s.points.map((p) => (p.at.getTime() - t0) / DAY_MS),
      s.points.map((p) => p.inUse),
    );
    if (!fit)
      return {
        ...base,
        outcome: 'not enough data',
        slopePerDay: null,
        crossesAt: null,
        daysUntil: null,
      };
    if (fit.b <= NO_GROWTH_PER_DAY) {
      return {
        ...base,
        outcome: 'no growth',
        slopePerDay: fit.b,
        crossesAt: null,
        daysUntil: null,
      };
    }
    // Days from now until the fitted line reaches owned (never in the past: not short now).
    const days = Math.max(0, (last.quantity - fit.a) / fit.b);
    return {
      ...base,
      outcome: 'crosses',
      slopePerDay: fit.b,
      crossesAt: new Date(t0 + days * DAY_MS),
      daysUntil: Math.ceil(days),
    };
  });
  return { va, windowDays, rows };
}
