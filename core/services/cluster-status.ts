/**
 * What a UC publisher reports (`getSmartLicenseStatus`, DOMAIN §4) mapped onto the cluster's
 * stored registration/authorization columns and per-license usage. Shared by the sync and the
 * cluster workflows, which both read a publisher's status back.
 */
import { findLicenseType, shortNameOfTag } from '../domain/catalog.ts';
import type {
  AuthorizationStatus,
  Cluster,
  ClusterStatusPatch,
  LicenseMode,
  RegistrationStatus,
} from '../store/index.ts';
import type { SmartLicenseStatus } from '../uc/uc.client.ts';

/** Usage per license type as the product counts it; duplicates of one type add up. */
export function clusterUsage(
  st: SmartLicenseStatus,
): { licenseType: string; tag: string | null; count: number; status: string }[] {
  const out = new Map<
    string,
    { licenseType: string; tag: string | null; count: number; status: string }
  >();
  for (const e of st.entitlements) {
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
  return {
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
