/**
 * Registration and authorization lifecycle of one product instance (DOMAIN §5): from what
 * happened to it and `now`, the states the product would show and the dates of its timers.
 *
 * Time rules, used by every timer here:
 * - A day is exactly 24 h (`DAY_MS`); dates are instants, so daylight-saving shifts and
 *   calendar months play no part. `addDays(t, n)` is `t + n·24h`.
 * - A timer of N days started at `t` has lapsed when `now >= t + N days`: at exactly day N it
 *   has lapsed, one millisecond earlier it has not.
 * - "Days left" is the ceiling of the remaining time in days, never below 0: day 89 of 90 →
 *   1, day 89½ → 1, day 90 → 0 (and lapsed), day 91 → 0.
 */

import type { AppType } from './catalog.ts';

export const DAY_MS = 86_400_000;

/** Evaluation period, counted from install [doc]. */
export const EVALUATION_PERIOD_DAYS = 90;
/** ID certificate validity from registration or its last renewal [doc: 1 year]. */
export const ID_CERTIFICATE_VALIDITY_DAYS = 365;
/**
 * ID certificate renewal interval [doc: "every 6 months"]. Taken as 180 fixed days rather
 * than calendar months, like every other timer here, so renewal always comes 185 days
 * before the certificate lapses.
 */
export const ID_RENEWAL_INTERVAL_DAYS = 180;
/** Authorization renewal interval after the last successful authorization [doc]. */
export const AUTHORIZATION_RENEWAL_INTERVAL_DAYS = 30;
/** Authorization expires this long after the last successful authorization [doc]. */
export const AUTHORIZATION_EXPIRY_DAYS = 90;
/** CUCM overage period after going out of compliance [doc]. */
export const CUCM_OVERAGE_DAYS = 90;

export type RegistrationStatus = 'Unregistered' | 'Registered' | 'Registration Expired';
export type AuthorizationStatus =
  | 'No License in use'
  | 'Evaluation Mode'
  | 'Evaluation Expired'
  | 'Authorized'
  | 'Out of compliance'
  | 'Authorization Expired';

/** What is known of one product's history. Dates after `now` are treated as not yet happened. */
export interface ProductHistory {
  /** Installation of the product; the evaluation period starts here. */
  installedAt: Date;
  /** Latest successful registration with a token. Absent: never registered. */
  registeredAt?: Date;
  /**
   * Latest deregistration. It counts only when at or after `registeredAt`; an older one
   * belongs to an earlier registration and is ignored.
   */
  deregisteredAt?: Date;
  /**
   * Latest successful authorization (renewal) with CSSM or the satellite. Registration
   * itself authorizes, so the authorization clock runs from the later of this and
   * `registeredAt` [design].
   */
  lastAuthorizationSuccessAt?: Date;
  /**
   * Latest successful ID certificate renewal. Counts only when at or after `registeredAt`; the
   * certificate otherwise dates from `registeredAt`.
   */
  lastIdRenewalAt?: Date;
  /**
   * Start of the current out-of-compliance stretch (some entitlement short); absent while in
   * compliance. Starts the CUCM overage clock.
   */
  outOfComplianceSince?: Date;
  /** Whether the product currently consumes any license (requests any entitlement). */
  licensesInUse: boolean;
  /**
   * Evaluation days used before the current unregistered stretch, when the caller knows it
   * (tracked across several register/deregister cycles, or from the product's own
   * `EvaluationPeriodRemaining`). Only read after a deregistration; see `deriveLifecycle`.
   */
  priorEvaluationDaysUsed?: number;
  /** Only CUCM has the 90-day overage; other types get no overage fields. Absent: assume CUCM. */
  appType?: AppType;
}

export interface LifecycleState {
  registration: RegistrationStatus;
  authorization: AuthorizationStatus;
  /** Registered or Registration Expired: when the next authorization renewal is due. */
  nextAuthorizationRenewal?: Date;
  /** `now >= nextAuthorizationRenewal`: the 30-day renewal is due or overdue. */
  authorizationRenewalDue: boolean;
  /** Registered or Registration Expired: when authorization lapses without contact. */
  authorizationExpires?: Date;
  /** Days left until `authorizationExpires` (ceiling, ≥ 0). */
  daysUntilAuthorizationExpiry?: number;
  /** Registered or Registration Expired: when the ID certificate is due for renewal. */
  nextIdRenewal?: Date;
  /** `now >= nextIdRenewal`. */
  idRenewalDue: boolean;
  /** Registered or Registration Expired: when the ID certificate lapses. */
  registrationExpires?: Date;
  /** Days left until `registrationExpires` (ceiling, ≥ 0). */
  daysUntilRegistrationExpiry?: number;
  /** Unregistered: when the evaluation period ends (or ended). */
  evaluationExpires?: Date;
  /** Unregistered: evaluation days left (ceiling, ≥ 0), whether or not licenses are in use. */
  evaluationDaysLeft?: number;
  /** Out of compliance (CUCM): when the overage period ends (or ended). */
  overageExpires?: Date;
  /** Out of compliance (CUCM): overage days left (ceiling, ≥ 0). */
  overageDaysLeft?: number;
  /** The CUCM overage period has run out: no new users or devices; calls keep working. */
  overageExpired: boolean;
}

/** `t` plus `days` × 24 h (fractional and negative days allowed). */
export function addDays(t: Date, days: number): Date {
  return new Date(t.getTime() + days * DAY_MS);
}

/** Whole 24-hour days from `a` to `b`, rounded down; negative when `b` is before `a`. */
export function daysBetween(a: Date, b: Date): number {
  return Math.floor((b.getTime() - a.getTime()) / DAY_MS);
}

/** Days left from `now` until `deadline`: ceiling of the remaining days, never below 0. */
export function daysUntil(now: Date, deadline: Date): number {
  return Math.max(0, Math.ceil((deadline.getTime() - now.getTime()) / DAY_MS));
}

/** A timer has lapsed at its deadline exactly: `now >= deadline`. */
export function hasLapsed(now: Date, deadline: Date): boolean {
  return now.getTime() >= deadline.getTime();
}

function checkDate(name: string, d: Date | undefined): void {
  if (d !== undefined && Number.isNaN(d.getTime())) {
    throw new RangeError(`lifecycle: ${name} is not a valid date`);
  }
}

/** The later of two dates; `undefined` counts as absent. */
function later(a: Date, b: Date | undefined): Date {
  return b !== undefined && b.getTime() > a.getTime() ? b : a;
}

/** `d` if it has happened by `now`, else `undefined`. */
function happened(d: Date | undefined, now: Date): Date | undefined {
  return d !== undefined && d.getTime() <= now.getTime() ? d : undefined;
}

/**
 * When the evaluation period ends for a product that is unregistered now.
 *
 * - Never registered: install + 90 days. The clock is assumed to have run since install,
 *   whether or not licenses were in use (history of use is unknown; this errs early).
 * - Deregistered: evaluation paused while registered and resumes with what was left
 *   [design, as Cisco's smart agent does]: ends at deregistration + (90 days − used), where
 *   used = `priorEvaluationDaysUsed` if given, else the time from install to the latest
 *   registration (an overestimate after several cycles, again erring early). When nothing
 *   was left, it ended at the deregistration.
 */
function evaluationEnd(h: ProductHistory, deregisteredAt: Date | undefined): Date {
  if (deregisteredAt === undefined || h.registeredAt === undefined) {
    return addDays(h.installedAt, EVALUATION_PERIOD_DAYS);
  }
  const usedMs =
    h.priorEvaluationDaysUsed !== undefined
      ? h.priorEvaluationDaysUsed * DAY_MS
      : h.registeredAt.getTime() - h.installedAt.getTime();
  const leftMs = Math.min(
    EVALUATION_PERIOD_DAYS * DAY_MS,
    Math.max(0, EVALUATION_PERIOD_DAYS * DAY_MS - usedMs),
  );
  return new Date(deregisteredAt.getTime() + leftMs);
}

/**
 * Derives registration and authorization state and timer dates (DOMAIN §5).
 *
 * Registration:
 * - Unregistered: never registered, or deregistered at/after the latest registration.
 * - Registration Expired: the ID certificate (from the later of `registeredAt` and
 *   `lastIdRenewalAt`) is 365 days old or more. Renewal is due at 180 days.
 * - Registered otherwise.
 *
 * Authorization, unregistered: licenses in use → Evaluation Mode until the evaluation ends,
 * then Evaluation Expired; no use → No License in use.
 *
 * Authorization, registered (or registration expired — the authorization timers decide on
 * their own), counted from the later of `lastAuthorizationSuccessAt` and `registeredAt`:
 * - no license in use → No License in use;
 * - 90 days or more since then → Authorization Expired (takes precedence over compliance);
 * - out of compliance → Out of compliance (takes precedence over Authorized);
 * - otherwise Authorized. Renewal is due 30 days after the last success.
 *
 * Overage (CUCM only): while out of compliance and registered with licenses in use, it ends
 * 90 days after `outOfComplianceSince`; `overageExpired` when `now` is at or past that.
 */
export function deriveLifecycle(h: ProductHistory, now: Date): LifecycleState {
  checkDate('installedAt', h.installedAt);
  checkDate('registeredAt', h.registeredAt);
  checkDate('deregisteredAt', h.deregisteredAt);
  checkDate('lastAuthorizationSuccessAt', h.lastAuthorizationSuccessAt);
  checkDate('lastIdRenewalAt', h.lastIdRenewalAt);
  checkDate('outOfComplianceSince', h.outOfComplianceSince);
  checkDate('now', now);

  const registeredAt = happened(h.registeredAt, now);
  const deregisteredAtRaw = happened(h.deregisteredAt, now);
  const deregisteredAt =
    registeredAt && deregisteredAtRaw && deregisteredAtRaw.getTime() >= registeredAt.getTime()
      ? deregisteredAtRaw
      : undefined;

  if (registeredAt === undefined || deregisteredAt !== undefined) {
    const evaluationExpires = evaluationEnd({ ...h, registeredAt }, deregisteredAt);
    const expired = hasLapsed(now, evaluationExpires);
    return {
      registration: 'Unregistered',
      authorization: !h.licensesInUse
        ? 'No License in use'
        : expired
          ? 'Evaluation Expired'
          : 'Evaluation Mode',
      authorizationRenewalDue: false,
      idRenewalDue: false,
      evaluationExpires,
      evaluationDaysLeft: daysUntil(now, evaluationExpires),
      overageExpired: false,
    };
  }

  const idRenewal = happened(h.lastIdRenewalAt, now);
  const idAnchor = later(registeredAt, idRenewal);
  const nextIdRenewal = addDays(idAnchor, ID_RENEWAL_INTERVAL_DAYS);
  const registrationExpires = addDays(idAnchor, ID_CERTIFICATE_VALIDITY_DAYS);

  const authAnchor = later(registeredAt, happened(h.lastAuthorizationSuccessAt, now));
  const nextAuthorizationRenewal = addDays(authAnchor, AUTHORIZATION_RENEWAL_INTERVAL_DAYS);
  const authorizationExpires = addDays(authAnchor, AUTHORIZATION_EXPIRY_DAYS);

  const outOfComplianceSince = h.licensesInUse ? happened(h.outOfComplianceSince, now) : undefined;

  let authorization: AuthorizationStatus;
  if (!h.licensesInUse) authorization = 'No License in use';
  else if (hasLapsed(now, authorizationExpires)) authorization = 'Authorization Expired';
  else if (outOfComplianceSince !== undefined) authorization = 'Out of compliance';
  else authorization = 'Authorized';

  const state: LifecycleState = {
    registration: hasLapsed(now, registrationExpires) ? 'Registration Expired' : 'Registered',
    authorization,
    nextAuthorizationRenewal,
    authorizationRenewalDue: hasLapsed(now, nextAuthorizationRenewal),
    authorizationExpires,
    daysUntilAuthorizationExpiry: daysUntil(now, authorizationExpires),
    nextIdRenewal,
    idRenewalDue: hasLapsed(now, nextIdRenewal),
    registrationExpires,
    daysUntilRegistrationExpiry: daysUntil(now, registrationExpires),
    overageExpired: false,
  };

  if (outOfComplianceSince !== undefined && (h.appType ?? 'CUCM') === 'CUCM') {
    const overageExpires = addDays(outOfComplianceSince, CUCM_OVERAGE_DAYS);
    state.overageExpires = overageExpires;
    state.overageDaysLeft = daysUntil(now, overageExpires);
    state.overageExpired = hasLapsed(now, overageExpires);
  }
  return state;
}
