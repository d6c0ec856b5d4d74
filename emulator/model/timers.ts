/**
 * Cisco's timers as the emulated world runs them on its simulated clock: smart agents'
 * renewals, ID certificate validity, satellite syncs, OAuth tokens.
 */
import { DAY } from '../util/time.ts';
import type { Registration, Satellite } from './types.ts';

/** Retry interval of a failed renewal or satellite sync [design]. */
export const RETRY_MS = DAY;
export const AUTH_RENEWAL_MS = 30 * DAY;
export const ID_RENEWAL_MS = 180 * DAY;
export const ID_VALIDITY_MS = 365 * DAY;
/** The satellite's own access token towards CSSM [doc]. */
export const SATELLITE_CLOUD_TOKEN_MS = 180 * DAY;
/** A satellite not synced for this long is flagged overdue [design]. */
export const SYNC_OVERDUE_MS = 30 * DAY;
export const OAUTH_TOKEN_SECONDS = 3599;

export const SCHEDULE_MS: Record<Satellite['schedule'], number> = {
  daily: DAY,
  weekly: 7 * DAY,
  monthly: 30 * DAY,
};

/** When a registration's ID certificate expires: a year after its last renewal. */
export function regExpiry(r: Registration): number {
  return Math.max(r.registeredAt, r.lastIdRenewalAt ?? 0) + ID_VALIDITY_MS;
}
