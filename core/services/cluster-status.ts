/**
 * What a UC publisher reports (`getSmartLicenseStatus`, DOMAIN §4) mapped onto the cluster's
 * stored registration/authorization columns and per-license usage. Shared by the sync and the
 * cluster workflows, which both read a publisher's status back.
 */
import { findLicenseType, shortNameOfTag } from '../domain/catalog.ts';
import { EVALUATION_PERIOD_DAYS, addDays } from '../domain/lifecycle.ts';
import type {
  AuthorizationStatus,
  Cluster,
  ClusterStatusPatch,
  LicenseMode,
  RegistrationStatus,
} from '../store/index.ts';
import type { SmartLicenseStatus } from '../uc/uc.client.ts';

/**
 * Usage per license type as the product counts it; duplicates of one type add up. A type listed
 * with count 0 is not usage: an Enterprise-mode Unified CM lists every tier, used or not
 * (DOMAIN §4).
 */
export function clusterUsage(
  st: SmartLicenseStatus,
): { licenseType: string; tag: string | null; count: number; status: string }[] {
  const out = new Map<
    string,
    { licenseType: string; tag: string | null; count: number; status: string }
  >();
  for (const e of st.entitlements) {
    if (e.count === 0) continue;
    const licenseType = findLicenseType(e.tag)?.id ?? shortNameOfTag(e.tag) ?? e.tag;
    const status = e.status ?? 'Unknown';
    const prev = out.get(licenseType);
    if (!prev) out.set(licenseType, { licenseType, tag: e.tag, count: e.count, status });
    else {
      prev.count += e.count;
      // The worse status wins: anything but InCompliance is worth seeing.
      if (/^incompliance$/i.test(prev.status)) prev.status = status;
    }
  }
  return [...out.values()];
}

const REG: readonly RegistrationStatus[] = ['Unregistered', 'Registered', 'Registration Expired'];
const AUTH: readonly AuthorizationStatus[] = [
  'No License in use',
  'Evaluation Mode',
  'Evaluation Expired',
  'Authorized',
  'Out of compliance',
  'Authorization Expired',
];
const MODES: readonly LicenseMode[] = ['Enterprise', 'HCS', 'HCS-LE'];

function oneOf<T extends string>(list: readonly T[], v: string | undefined): T | null {
  if (v === undefined) return null;
  const k = v.trim().toLowerCase();
  return list.find((x) => x.toLowerCase() === k) ?? null;
}

/**
 * The Cluster Summary status a good read implies: a "… Registration Failed" left from an earlier
 * attempt is stale once the product reads Registered (someone fixed it, or a retry worked), so
 * it becomes Auto / Manually Registered; anything else stays.
 */
function statusAfterRead(prev: Cluster, registered: boolean): Cluster['status'] | undefined {
  if (!registered) return undefined;
  if (prev.status === 'Auto Registration Failed') return 'Auto Registered';
  if (prev.status === 'Manual Registration Failed') return 'Manually Registered';
  return undefined;
}

/**
 * The install date a read implies when none is stored: an unregistered product's evaluation
 * days remaining count down from install + 90 days. A registered product's remaining days are
 * frozen at registration, so they say nothing of the install date.
 */
function installedAtFrom(
  prev: Cluster,
  registered: boolean,
  remainingDays: number | null | undefined,
  now: Date,
): Date | undefined {
  if (prev.installedAt || registered || remainingDays === null || remainingDays === undefined) {
    return undefined;
  }
  return addDays(now, Math.min(remainingDays, EVALUATION_PERIOD_DAYS) - EVALUATION_PERIOD_DAYS);
}

/** A failed status read → the cluster's read-error columns; nothing else changes. */
export function readFailurePatch(
  err: { code: string; message: string },
  now: Date,
): ClusterStatusPatch {
  return { lastReadError: `${err.code}: ${err.message}`, lastReadErrorAt: now };
}

/** What a publisher reported → the cluster's registration/authorization columns. */
export function statusPatch(st: SmartLicenseStatus, prev: Cluster, now: Date): ClusterStatusPatch {
  const reg = st.registration;
  const auth = st.authorization;
  const authStatus = oneOf(AUTH, auth.status);
  const regStatus = oneOf(REG, reg.status);
  const ooc = authStatus === 'Out of compliance';
  const mode = oneOf(MODES, st.licenseMode);
  const succeeded = /^succeeded$/i.test(auth.lastCommunicationStatus ?? '');
  const idSucceeded = /^succeeded$/i.test(reg.lastRenewalStatus ?? '');
  const registered = regStatus === 'Registered' || regStatus === 'Registration Expired';
  const status = statusAfterRead(prev, regStatus === 'Registered');
  const installedAt = installedAtFrom(prev, registered, auth.evaluationPeriodRemainingDays, now);
  return {
    ...(status ? { status } : {}),
    ...(installedAt ? { installedAt } : {}),
    registrationStatus: regStatus,
    lastRenewalAttempt: reg.lastRenewalAttempt,
    lastRenewalStatus: reg.lastRenewalStatus ?? null,
    nextRenewalAttempt: reg.nextRenewalAttempt,
    registrationExpires: reg.registrationExpires,
    registrationFailedReason: reg.registrationFailedReason ?? null,
    productUdi: reg.productUdiRaw ?? null,
    exportControl: reg.exportControlFunctionality ?? null,
    authorizationStatus: authStatus,
    lastCommunicationAttempt: auth.lastCommunicationAttempt,
    lastCommunicationStatus: auth.lastCommunicationStatus ?? null,
    nextCommunicationAttempt: auth.nextCommunicationAttempt,
    authorizationExpires: auth.authorizationExpires,
    authorizationFailedReason: auth.authorizationFailedReason ?? null,
    evaluationPeriodRemaining: auth.evaluationPeriodRemainingDays,
    ...(succeeded && auth.lastCommunicationAttempt
      ? { lastAuthorizationSuccessAt: auth.lastCommunicationAttempt }
      : {}),
    ...(idSucceeded && reg.lastRenewalAttempt ? { lastIdRenewalAt: reg.lastRenewalAttempt } : {}),
    outOfComplianceSince: ooc ? (prev.outOfComplianceSince ?? now) : null,
    ...(mode ? { licenseMode: mode } : {}),
    lastStatusReadAt: now,
  };
}
