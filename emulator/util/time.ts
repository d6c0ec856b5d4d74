/** Time helpers: ISO-8601 durations, Java Date.toString() (UTC), CSSM date strings. */

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

const DURATION =
  /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/**
 * Parses an ISO-8601 duration (`P30D`, `PT6H`, `P1Y2M`). Years count 365 days and months 30
 * days: the simulated clock has no calendar [design].
 */
export function parseDuration(s: string): number | undefined {
  const m = DURATION.exec(s.trim().toUpperCase());
  if (!m || s.trim().toUpperCase() === 'P' || s.trim().toUpperCase().endsWith('T'))
    return undefined;
  const n = (i: number): number => Number(m[i] ?? 0);
  return (
    n(1) * 365 * DAY +
    n(2) * 30 * DAY +
    n(3) * 7 * DAY +
    n(4) * DAY +
    n(5) * HOUR +
    n(6) * MINUTE +
    n(7) * SECOND
  );
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number): string => String(n).padStart(2, '0');

/** Java `Date.toString()` in UTC, as the UC apps print dates: `Wed Nov 20 19:31:12 UTC 2024`. */
export function javaDate(ms: number | undefined): string {
  if (ms === undefined) return '';
  const d = new Date(ms);
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${p2(d.getUTCDate())} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} UTC ${d.getUTCFullYear()}`;
}

/** `YYYY-MM-DD` in UTC. */
export function ymd(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** ISO timestamp without milliseconds: `2026-11-28T12:00:00Z`. */
export function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function parseTime(v: string | number | Date): number {
  const ms = v instanceof Date ? v.getTime() : typeof v === 'number' ? v : Date.parse(v);
  if (Number.isNaN(ms)) throw new Error(`invalid time: ${String(v)}`);
  return ms;
}
