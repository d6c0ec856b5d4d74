/**
 * Reads dates as the UC applications print them: Java `Date.toString()` form
 * (`Wed Nov 20 19:31:12 EST 2024`), with a zone abbreviation or `GMT+05:30`, and ISO 8601
 * as a fallback. Zone abbreviations are ambiguous in general; the table holds the ones UC
 * servers commonly run in, and an unknown one yields undefined rather than a wrong instant.
 */

const MONTHS: Record<string, number> = {
  Jan: 0,
  Feb: 1,
  Mar: 2,
  Apr: 3,
  May: 4,
  Jun: 5,
  Jul: 6,
  Aug: 7,
  Sep: 8,
  Oct: 9,
  Nov: 10,
  Dec: 11,
};

/** Offsets in minutes east of UTC. IST is India (UC servers), not Irish or Israeli time. */
export const ZONE_OFFSETS: Readonly<Record<string, number>> = {
  UTC: 0,
  GMT: 0,
  Z: 0,
  WET: 0,
  WEST: 60,
  BST: 60,
  CET: 60,
  CEST: 120,
  MET: 60,
  MEST: 120,
  EET: 120,
  EEST: 180,
  MSK: 180,
  IST: 330,
  SGT: 480,
  HKT: 480,
  JST: 540,
  KST: 540,
  AWST: 480,
  ACST: 570,
  ACDT: 630,
  AEST: 600,
  AEDT: 660,
  NZST: 720,
  NZDT: 780,
  AST: -240,
  ADT: -180,
  EST: -300,
  EDT: -240,
  CST: -360,
  CDT: -300,
  MST: -420,
  MDT: -360,
  PST: -480,
  PDT: -420,
  AKST: -540,
  AKDT: -480,
  HST: -600,
};

const JAVA =
  /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)\s+(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\s+(\d{1,2})\s+(\d{2}):(\d{2}):(\d{2})\s+([A-Za-z]+)(?:([+-])(\d{1,2}):?(\d{2})?)?\s+(\d{4})$/;

function zoneOffset(zone: string, sign?: string, hh?: string, mm?: string): number | undefined {
  const base = ZONE_OFFSETS[zone.toUpperCase()];
  if (base === undefined) return undefined;
  if (!sign) return base;
  const off = Number(hh) * 60 + Number(mm ?? 0);
  return base + (sign === '-' ? -off : off);
}

/** Parses a Java `Date.toString()` string or an ISO timestamp; undefined when unreadable. */
export function parseJavaDate(s: string | undefined | null): Date | undefined {
  if (s === undefined || s === null) return undefined;
  const v = s.trim();
  if (v === '') return undefined;
  const m = JAVA.exec(v);
  if (m) {
    const [, mon, day, hh, mi, ss, zone, sign, oh, om, year] = m;
    const offset = zoneOffset(zone!, sign, oh, om);
    if (offset === undefined) return undefined;
    const d = Number(day);
    const utc = Date.UTC(Number(year), MONTHS[mon!], d, Number(hh), Number(mi), Number(ss));
    const check = new Date(Date.UTC(Number(year), MONTHS[mon!], d));
    if (check.getUTCDate() !== d || Number(hh) > 23 || Number(mi) > 59 || Number(ss) > 60)
      return undefined;
    return new Date(utc - offset * 60_000);
  }
  if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(v)) {
    const iso = v.includes(' ') ? v.replace(' ', 'T') : v;
    const ms = Date.parse(/T/.test(iso) && !/(Z|[+-]\d{2}:?\d{2})$/.test(iso) ? `${iso}Z` : iso);
    return Number.isNaN(ms) ? undefined : new Date(ms);
  }
  return undefined;
}
