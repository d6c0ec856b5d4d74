/**
 * The effective lifecycle of a cluster: its registration and authorization state and timer
 * dates as of `now`, derived from what is stored about it (DOMAIN §5), not only from the last
 * thing the product said. A product that stopped answering does not stay "Authorized": its
 * timers run on from the last facts known, and 90 days after its last successful authorization
 * it is Authorization Expired.
 *
 * How the stored facts become a history for `deriveLifecycle` [design]:
 * - the authorization clock starts at the last successful authorization; if that was never
 *   seen, at the product's own reported expiry minus 90 days; else at registration; else at
 *   the last good read (errs late, and says so in `basis`);
 * - the ID certificate dates from the reported registration expiry minus 365 days, else from
 *   the latest ID renewal or registration seen, else from the last good read;
 * - evaluation (unregistered) ends at install + 90 days; the install date is the stored one,
 *   else the one implied by the product's "evaluation days remaining" at the last good read,
 *   else the day the cluster was added to smartlic;
 * - licenses are in use when the product counted any, or (no counts) its authorization state
 *   was anything but "No License in use".
 * The state shown is the worse of what the product last said and what the timers say now:
 * timers only move a state forward (Authorized → Authorization Expired), a product's own
 * report of trouble is never hidden.
 */
import type { AppType } from './catalog.ts';
import {
  AUTHORIZATION_EXPIRY_DAYS,
  ID_CERTIFICATE_VALIDITY_DAYS,
  EVALUATION_PERIOD_DAYS,
  addDays,
  deriveLifecycle,
  type AuthorizationStatus,
  type ProductHistory,
  type RegistrationStatus,
} from './lifecycle.ts';

/** What is stored about one cluster's smart licensing (core/store's cluster row, as dates). */
export interface StoredLicensing {
  appType: AppType;
  /** What the product last reported (null: never read). */
  reportedRegistration: RegistrationStatus | null;
  reportedAuthorization: AuthorizationStatus | null;
  reportedRegistrationExpires: Date | null;
  reportedAuthorizationExpires: Date | null;
  /** Evaluation days left as the product reported them at `lastStatusReadAt`. */
  evaluationPeriodRemaining: number | null;
  registeredAt: Date | null;
  lastAuthorizationSuccessAt: Date | null;
  lastIdRenewalAt: Date | null;
  installedAt: Date | null;
  outOfComplianceSince: Date | null;
  /** Latest good status read. */
  lastStatusReadAt: Date | null;
  /** Latest failed status read and its error. */
  lastReadErrorAt: Date | null;
  lastReadError: string | null;
  /** Sum of the license counts the product reported; null when none were stored. */
  licensesCounted: number | null;
  /** When the cluster was added to smartlic (last resort for the install date). */
  createdAt: Date;
}

/** Which timer `daysLeft` counts down. */
export type DaysLeftOf = 'authorization' | 'evaluation' | 'overage' | 'registration';

export interface EffectiveLifecycle {
  /** null: never read, nothing known. */
  registration: RegistrationStatus | null;
  authorization: AuthorizationStatus | null;
  /**
   * `product`: as the last good read said, and nothing has lapsed since; `timers`: a timer
   * lapsed since the last good read (the product did not or could not say so); `none`: the
   * product was never read.
   */
  source: 'product' | 'timers' | 'none';
  /** One sentence on where the state comes from, for the operator. */
  basis: string;
  /** false when the latest status read failed; null when never tried. */
  reachable: boolean | null;
  /** When the current unreachable stretch started (the first failed read is not kept: the latest). */
  unreachableSince: Date | null;
  registrationExpires: Date | null;
  daysUntilRegistrationExpiry: number | null;
  nextAuthorizationRenewal: Date | null;
  authorizationRenewalDue: boolean;
  authorizationExpires: Date | null;
  daysUntilAuthorizationExpiry: number | null;
  evaluationExpires: Date | null;
  evaluationDaysLeft: number | null;
  overageExpires: Date | null;
  overageDaysLeft: number | null;
  overageExpired: boolean;
  /** The most pressing countdown for this state, and which one it is. */
  daysLeft: number | null;
  daysLeftOf: DaysLeftOf | null;
}

const AUTH_RANK: Record<AuthorizationStatus, number> = {
  'No License in use': 0,
  Authorized: 1,
  'Evaluation Mode': 1,
  'Out of compliance': 2,
  'Evaluation Expired': 3,
  'Authorization Expired': 3,
};

const day = (d: Date) => d.toISOString().slice(0, 10);

function minDate(...ds: (Date | null | undefined)[]): Date | undefined {
  let m: Date | undefined;
  for (const d of ds) if (d && (!m || d.getTime() < m.getTime())) m = d;
  return m;
}

const EMPTY_TIMERS = {
  registrationExpires: null,
  daysUntilRegistrationExpiry: null,
  nextAuthorizationRenewal: null,
  authorizationRenewalDue: false,
  authorizationExpires: null,
  daysUntilAuthorizationExpiry: null,
  evaluationExpires: null,
  evaluationDaysLeft: null,
  overageExpires: null,
  overageDaysLeft: null,
  overageExpired: false,
  daysLeft: null,
  daysLeftOf: null,
} as const;

/** The effective lifecycle of one cluster at `now` (see the module comment for the rules). */
export function effectiveLifecycle(s: StoredLicensing, now: Date): EffectiveLifecycle {
  const lastGood = s.lastStatusReadAt;
  const lastBad = s.lastReadErrorAt;
  const reachable =
    lastGood === null && lastBad === null
      ? null
      : lastBad === null || (lastGood !== null && lastGood.getTime() >= lastBad.getTime());
  const unreachableSince = reachable === false ? lastBad : null;
  const unreachableText =
    reachable === false
      ? ` The product has not answered since ${lastGood ? day(lastGood) : 'it was added'} (last try ${day(lastBad!)}${s.lastReadError ? `: ${s.lastReadError}` : ''}).`
      : '';

  if (s.reportedRegistration === null && lastGood === null) {
    return {
      registration: null,
      authorization: null,
      source: 'none',
      basis: `Never read from the product.${unreachableText}`,
      reachable,
      unreachableSince,
      ...EMPTY_TIMERS,
    };
  }

  const licensesInUse =
    s.licensesCounted !== null
      ? s.licensesCounted > 0
      : s.reportedAuthorization !== null && s.reportedAuthorization !== 'No License in use';
  const readAt = lastGood ?? s.createdAt;
  const reportedRegistered =
    s.reportedRegistration === 'Registered' || s.reportedRegistration === 'Registration Expired';

  let history: ProductHistory;
  let anchorNote: string;
  if (reportedRegistered) {
    const authAnchor =
      s.lastAuthorizationSuccessAt ??
      (s.reportedAuthorizationExpires
        ? addDays(s.reportedAuthorizationExpires, -AUTHORIZATION_EXPIRY_DAYS)
        : undefined) ??
      s.registeredAt ??
      readAt;
    const idAnchor =
      (s.reportedRegistrationExpires
        ? addDays(s.reportedRegistrationExpires, -ID_CERTIFICATE_VALIDITY_DAYS)
        : undefined) ??
      minDate(s.lastIdRenewalAt, s.registeredAt) ??
      readAt;
    history = {
      installedAt: s.installedAt ?? s.createdAt,
      registeredAt: minDate(authAnchor, idAnchor, s.registeredAt)!,
      lastAuthorizationSuccessAt: authAnchor,
      lastIdRenewalAt: idAnchor,
      ...(s.outOfComplianceSince ? { outOfComplianceSince: s.outOfComplianceSince } : {}),
      licensesInUse,
      appType: s.appType,
    };
    anchorNote = `last successful authorization ${day(authAnchor)}${s.lastAuthorizationSuccessAt ? '' : ' (estimated)'} + ${AUTHORIZATION_EXPIRY_DAYS} days`;
  } else {
    const installedAt =
      s.installedAt ??
      (s.evaluationPeriodRemaining !== null && lastGood
        ? addDays(lastGood, s.evaluationPeriodRemaining - EVALUATION_PERIOD_DAYS)
        : s.createdAt);
    history = { installedAt, licensesInUse, appType: s.appType };
    anchorNote = `installed ${day(installedAt)}${s.installedAt ? '' : ' (estimated)'} + ${EVALUATION_PERIOD_DAYS} days of evaluation`;
  }

  const derived = deriveLifecycle(history, now);
  const reportedAuth = s.reportedAuthorization;
  // The worse of the last report and the timers; a product's own report of trouble stays.
  const authorization =
    reportedAuth !== null && AUTH_RANK[reportedAuth] > AUTH_RANK[derived.authorization]
      ? reportedAuth
      : derived.authorization;
  const registration =
    s.reportedRegistration === 'Registration Expired'
      ? 'Registration Expired'
      : derived.registration;
  const moved =
    authorization !== (reportedAuth ?? authorization) ||
    registration !== (s.reportedRegistration ?? registration);
  const source = moved ? 'timers' : 'product';
  const basis =
    (moved
      ? `The product last said ${s.reportedRegistration ?? '?'} / ${reportedAuth ?? '?'} on ${day(readAt)}; by its timers (${anchorNote}) it is now ${registration} / ${authorization}.`
      : `As the product said on ${day(readAt)}; timers from ${anchorNote}.`) + unreachableText;

  const out: EffectiveLifecycle = {
    registration,
    authorization,
    source,
    basis,
    reachable,
    unreachableSince,
    registrationExpires: derived.registrationExpires ?? null,
    daysUntilRegistrationExpiry: derived.daysUntilRegistrationExpiry ?? null,
    nextAuthorizationRenewal: derived.nextAuthorizationRenewal ?? null,
    authorizationRenewalDue: derived.authorizationRenewalDue,
    authorizationExpires: derived.authorizationExpires ?? null,
    daysUntilAuthorizationExpiry: derived.daysUntilAuthorizationExpiry ?? null,
    evaluationExpires: derived.evaluationExpires ?? null,
    evaluationDaysLeft: derived.evaluationDaysLeft ?? null,
    overageExpires: derived.overageExpires ?? null,
    overageDaysLeft: derived.overageDaysLeft ?? null,
    overageExpired: derived.overageExpired,
    daysLeft: null,
    daysLeftOf: null,
  };
  if (registration === 'Unregistered') {
    if (licensesInUse) {
      out.daysLeft = out.evaluationDaysLeft;
      out.daysLeftOf = 'evaluation';
    }
  } else if (licensesInUse) {
    out.daysLeft = out.daysUntilAuthorizationExpiry;
    out.daysLeftOf = 'authorization';
    if (out.overageDaysLeft !== null && out.overageDaysLeft < (out.daysLeft ?? Infinity)) {
      out.daysLeft = out.overageDaysLeft;
      out.daysLeftOf = 'overage';
    }
  } else {
    out.daysLeft = out.daysUntilRegistrationExpiry;
    out.daysLeftOf = 'registration';
  }
  return out;
}
