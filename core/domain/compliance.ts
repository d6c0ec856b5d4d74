/**
 * Shortage and compliance of one license line (DOMAIN §6 rule 4): the one definition every
 * report, snapshot and alert uses.
 */

import { DAY_MS } from './lifecycle.ts';

/** CSSM's status for a license type that cannot serve its requests [design]. */
export const INSUFFICIENT_LICENSES = 'Insufficient Licenses';

export interface LicenseCounts {
  quantity: number;
  inUse: number;
  available: number;
}

/**
 * Licenses requested and not served: in use beyond what is owned. CSSM shows it as a negative
 * `available` or as `inUse > quantity`; whichever says more counts. Never below 0.
 */
export function shortageOf(l: LicenseCounts): number {
  return Math.max(0, l.inUse - l.quantity, -l.available);
}

/**
 * Whether a license line is out of compliance: a shortage by the counts, or CSSM's own status
 * says "Insufficient Licenses" (a shortage CSSM reports but the counts do not show).
 */
export function isShort(l: LicenseCounts & { status?: string | null }): boolean {
  return shortageOf(l) > 0 || (l.status ?? '').trim().toLowerCase() === 'insufficient licenses';
}

export type Compliance = 'In Compliance' | 'Out of Compliance';

export function complianceOf(
  lines: readonly (LicenseCounts & { status?: string | null })[],
): Compliance {
  return lines.some(isShort) ? 'Out of Compliance' : 'In Compliance';
}

/** DOMAIN §3: a satellite should sync with CSSM at least every 30 days [doc]; flag after [design]. */
export const SATELLITE_SYNC_OVERDUE_DAYS = 30;

/** Whether a satellite whose last CSSM sync was `last` (null: never) is overdue at `now`. */
export function satelliteSyncOverdue(last: Date | null, now: Date): boolean {
  return !last || now.getTime() - last.getTime() > SATELLITE_SYNC_OVERDUE_DAYS * DAY_MS;
}
