/**
 * UC application versions as Cisco prints them, and the version rules of DOMAIN §1 and §4:
 * PLM (≤ 11.x) versus Smart Licensing (≥ 12), which application types may use Smart
 * Licensing (SLMCT1015), which versions may be assigned to a VA (SLMCT1006), and where the
 * HCS-LE license mode is still offered.
 */

import type { AppType } from './catalog.ts';

/**
 * A parsed UC version. Cisco prints the same release two ways:
 * - the system version `12.5.1.17900-64` (major.minor.maintenance.build-revision), and
 * - the release name `12.5(1)SU7`; from release 14 on the name drops the `.0(1)`: `14SU2`.
 *
 * Both land in one structure. A release named without its maintenance number is its first
 * maintenance release, `(1)` — Cisco numbers maintenance releases from 1 (`14` is 14.0(1),
 * `12.5` is 12.5(1)).
 */
export interface UcVersion {
  major: number;
  minor: number;
  maintenance: number;
  /** Letter after the maintenance number in old release names: `8.6(2a)` → `'a'`. */
  maintenanceLetter?: string;
  /** Build of a system version: `11900` in `12.5.1.11900-146`. */
  build?: number;
  /** In-house build after the dash: `146` in `12.5.1.11900-146`. */
  buildRevision?: number;
  /** Service update number when the input names one: `3` in `11.5(1)SU3`, `2` in `14SU2`. */
  su?: number;
  /** Letter after the SU number: `14SU4a` → `'a'`. */
  suLetter?: string;
  /** The input as given (trimmed). */
  raw: string;
}

export type LicensingModel = 'PLM' | 'Smart';

/**
 * Examples of the forms `parseUcVersion` accepts, for error messages and help text: system
 * versions (major.minor.maintenance[.build[-revision]]) and release names
 * (major[.minor][(maintenance[letter])][SUn[letter]]).
 */
export const ACCEPTED_VERSION_FORMS: readonly string[] = [
  '12.5.1.11900-146',
  '12.5.1.11900',
  '10.5.2',
  '12.5',
  '11.5(1)SU3',
  '8.6(2a)',
  '14SU2',
  '15',
];

/** Thrown by `parseUcVersion` for text that is no UC version. */
export class VersionParseError extends Error {
  /** Same code as an unsupported version in a job entry (DOMAIN §7). */
  readonly code = 'SLMCT1006';
  readonly input: string;
  readonly acceptedForms: readonly string[] = ACCEPTED_VERSION_FORMS;

  constructor(input: string) {
    super(`"${input}" is not a UC version; accepted forms: ${ACCEPTED_VERSION_FORMS.join(', ')}`);
    this.name = 'VersionParseError';
    this.input = input;
  }
}

export type UcVersionParseResult =
  { ok: true; version: UcVersion } | { ok: false; error: VersionParseError };

// 12.5.1.11900-146, 12.5.1.11900, 10.5.2
const SYSTEM_VERSION = /^(\d{1,2})\.(\d{1,2})\.(\d{1,2})(?:\.(\d{1,6})(?:-(\d{1,6}))?)?$/;
// 12.5(1)SU3, 8.6(2a), 12.5, 14SU2, 15, 14(1)SU1, 14.0(1)SU1
const RELEASE_NAME =
  /^(\d{1,2})(?:\.(\d{1,2}))?(?:\((\d{1,2})([a-z])?\))?(?:\s*su\s*(\d{1,2})([a-z])?)?$/i;

/** Parses a version or reports why not; never throws. */
export function tryParseUcVersion(input: string): UcVersionParseResult {
  const raw = input.trim();
  const sys = SYSTEM_VERSION.exec(raw);
  if (sys) {
    const v: UcVersion = {
      major: Number(sys[1]),
      minor: Number(sys[2]),
      maintenance: Number(sys[3]),
      raw,
    };
    if (sys[4] !== undefined) v.build = Number(sys[4]);
    if (sys[5] !== undefined) v.buildRevision = Number(sys[5]);
    return valid(v, input);
  }
  const rel = RELEASE_NAME.exec(raw);
  if (rel) {
    const v: UcVersion = {
      major: Number(rel[1]),
      minor: rel[2] === undefined ? 0 : Number(rel[2]),
      maintenance: rel[3] === undefined ? 1 : Number(rel[3]),
      raw,
    };
    if (rel[4] !== undefined) v.maintenanceLetter = rel[4].toLowerCase();
    if (rel[5] !== undefined) v.su = Number(rel[5]);
    if (rel[6] !== undefined) v.suLetter = rel[6].toLowerCase();
    return valid(v, input);
  }
  return { ok: false, error: new VersionParseError(input) };
}

function valid(v: UcVersion, input: string): UcVersionParseResult {
  // Major 0 never existed; reject it rather than invent a release.
  return v.major >= 1
    ? { ok: true, version: v }
    : { ok: false, error: new VersionParseError(input) };
}

/** Parses a UC version; throws `VersionParseError` naming the input and the accepted forms. */
export function parseUcVersion(input: string): UcVersion {
  const r = tryParseUcVersion(input);
  if (!r.ok) throw r.error;
  return r.version;
}

function asVersion(v: UcVersion | string): UcVersion {
  return typeof v === 'string' ? parseUcVersion(v) : v;
}

/**
 * The service update a version belongs to: the SU it names, or for a system version the SU
 * its build number implies; 0 for the base release.
 *
 * [design] From 11.x on Cisco builds SU n as `<10000 + 1000·n − 100>`: 12.5.1.10000-22 is
 * 12.5(1), 12.5.1.11900-146 is SU1, 12.5.1.17900-64 is SU7, 14.0.1.13900-155 is 14SU3.
 * Builds between two SUs (ES, security patches) belong to the SU below. Older trains number
 * builds differently (7.1.5.34900-7 is 7.1(5b)SU4), so below 11 a build implies no SU.
 */
export function serviceUpdateOf(v: UcVersion): number {
  if (v.su !== undefined) return v.su;
  if (v.build === undefined || v.major < 11) return 0;
  return Math.max(0, Math.floor((v.build - 10900) / 1000));
}

function cmpNum(a: number, b: number): number {
  return a === b ? 0 : a < b ? -1 : 1;
}

// Absent sorts first: a release name without a build stands for the first build of its SU.
function cmpOptNum(a: number | undefined, b: number | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  return cmpNum(a, b);
}

function cmpStr(a: string | undefined, b: string | undefined): number {
  const x = a ?? '';
  const y = b ?? '';
  return x === y ? 0 : x < y ? -1 : 1;
}

/**
 * Orders two versions (negative, 0, positive); strings are parsed first (and may throw
 * `VersionParseError`). Order: major, minor, maintenance (+ letter), service update (named
 * or implied by the build, see `serviceUpdateOf`), SU letter, then build and revision. A
 * release name without a build sorts before every build of the same SU, so
 * `12.5(1)SU7` < `12.5.1.17900-64` and "at least 12.5(1)SU7" holds for that build. It is a
 * total order; `raw` spelling does not matter (`14SU2` equals `14.0(1)SU2`).
 */
export function compareUcVersions(a: UcVersion | string, b: UcVersion | string): number {
  const x = asVersion(a);
  const y = asVersion(b);
  return (
    cmpNum(x.major, y.major) ||
    cmpNum(x.minor, y.minor) ||
    cmpNum(x.maintenance, y.maintenance) ||
    cmpStr(x.maintenanceLetter, y.maintenanceLetter) ||
    cmpNum(serviceUpdateOf(x), serviceUpdateOf(y)) ||
    cmpStr(x.suLetter, y.suLetter) ||
    cmpOptNum(x.build, y.build) ||
    cmpOptNum(x.buildRevision, y.buildRevision)
  );
}

/**
 * Canonical text of a version: the system version when a build is known
 * (`12.5.1.11900-146`), otherwise the release name as Cisco prints it (`12.5(1)SU3`,
 * `8.6(2a)`, and from 14 on `14SU2` / `15`).
 */
export function formatUcVersion(v: UcVersion): string {
  if (v.build !== undefined) {
    const rev = v.buildRevision === undefined ? '' : `-${v.buildRevision}`;
    return `${v.major}.${v.minor}.${v.maintenance}.${v.build}${rev}`;
  }
  const su = v.su === undefined ? '' : `SU${v.su}${v.suLetter ?? ''}`;
  if (v.major >= 14 && v.minor === 0 && v.maintenance === 1 && !v.maintenanceLetter) {
    return `${v.major}${su}`;
  }
  return `${v.major}.${v.minor}(${v.maintenance}${v.maintenanceLetter ?? ''})${su}`;
}

/** PLM for 11.x and earlier, Smart Licensing (CSSM or satellite) from 12 on (DOMAIN §4). */
export function licensingModelFor(version: UcVersion | string): LicensingModel {
  return asVersion(version).major <= 11 ? 'PLM' : 'Smart';
}

const SMART_APP_TYPES: readonly AppType[] = ['CUCM', 'CUC', 'CER'];

/**
 * Whether an application type can use Smart Licensing through smartlic: CUCM, CUC, CER only
 * (DOMAIN §4; anything else is SLMCT1015). Exact, case-sensitive match.
 */
export function isSmartLicensingAppType(type: string): type is AppType {
  return (SMART_APP_TYPES as readonly string[]).includes(type);
}

export type SmartEligibility =
  | { ok: true; appType: AppType; version: UcVersion; licensingModel: 'Smart' }
  | {
      ok: false;
      code: 'SLMCT1015' | 'SLMCT1006';
      message: string;
      /** What the operator should do next. */
      action: string;
      /** Set when the version parsed: PLM for ≤ 11.x. */
      licensingModel?: LicensingModel;
    };

/**
 * Whether a cluster of this type and version may be assigned to a VA (DOMAIN §4, §7): the
 * type must be CUCM, CUC or CER (else SLMCT1015), and the version must parse and be above
 * 11.x (else SLMCT1006; ≤ 11.x licenses through PLM). The type is checked first.
 */
export function checkSmartEligibility(
  appType: string,
  version: UcVersion | string,
): SmartEligibility {
  if (!isSmartLicensingAppType(appType)) {
    return {
      ok: false,
      code: 'SLMCT1015',
      message: `Unsupported application type "${appType}": Smart Licensing supports CUCM, CUC and CER only.`,
      action: 'Assign only Unified CM, Unity Connection or Emergency Responder clusters.',
    };
  }
  let v: UcVersion;
  if (typeof version === 'string') {
    const r = tryParseUcVersion(version);
    if (!r.ok) {
      return {
        ok: false,
        code: 'SLMCT1006',
        message: `Unsupported version: ${r.error.message}.`,
        action: 'Correct the cluster version, then sync.',
      };
    }
    v = r.version;
  } else {
    v = version;
  }
  if (licensingModelFor(v) === 'PLM') {
    return {
      ok: false,
      code: 'SLMCT1006',
      message: `Unsupported version for smart registration: ${appType} ${formatUcVersion(v)} licenses through Prime License Manager (PLM); only 12.x and later can be assigned to a virtual account.`,
      action: 'Keep licensing this cluster through PLM, or upgrade it to 12.x or later.',
      licensingModel: 'PLM',
    };
  }
  return { ok: true, appType, version: v, licensingModel: 'Smart' };
}

const HCS_LE_GONE_12_5 = parseUcVersion('12.5(1)SU7');
const HCS_LE_GONE_14 = parseUcVersion('14(1)SU1');

/**
 * Whether CUCM at this version still offers the HCS-LE license mode (DOMAIN §1): it is gone
 * from 12.5(1)SU7 and from 14(1)SU1 onward. So: true below 12.5(1)SU7, and for 14 before SU1
 * (14.0(1) shipped before 12.5(1)SU7); false for 12.5(1)SU7+, 14SU1+ and 15+.
 */
export function hcsLeSupported(version: UcVersion | string): boolean {
  const v = asVersion(version);
  if (compareUcVersions(v, HCS_LE_GONE_12_5) < 0) return true;
  return v.major === 14 && compareUcVersions(v, HCS_LE_GONE_14) < 0;
}

/** The oldest CSSM On-Prem (satellite) release smartlic drives: 7.2 (DOMAIN §3, the seed). */
export const MIN_SATELLITE_VERSION = { major: 7, minor: 2 } as const;

export type SatelliteVersionCheck =
  { ok: true; known: boolean } | { ok: false; code: string; message: string; action: string };

/**
 * Whether a satellite that reports `version` can serve smartlic: every function needs CSSM
 * On-Prem 7.2 or later, and the Classic Edition is not supported at all (DOMAIN §3 [doc]).
 * Versions read as `7.2`, `7.2.0`, or the On-Prem 8 form `8-202404`; an edition is named in the
 * text (`… Classic …`). A satellite that does not say, or says something unreadable, passes as
 * unknown (`known: false`): smartlic cannot tell, so it does not refuse.
 */
export function checkSatelliteVersion(version: string | null | undefined): SatelliteVersionCheck {
  const v = version?.trim() ?? '';
  if (v === '') return { ok: true, known: false };
  if (/classic/i.test(v)) {
    return {
      ok: false,
      code: 'SLMCT1006',
      message: `the satellite is a Classic Edition (it reports "${v}"), which smartlic and HCM-F do not support`,
      action:
        'upgrade it to CSSM On-Prem 7.2 or later (or use the cloud CSSM), then add the account again',
    };
  }
  const m = /^v?(\d+)(?:[.-](\d+))?/i.exec(v);
  if (!m) return { ok: true, known: false };
  const major = Number(m[1]);
  // `8-202404` is On-Prem 8 (release 2024-04): its minor is a date, not a 7.x minor.
  const minor = m[2] !== undefined && m[2].length < 4 ? Number(m[2]) : 0;
  const old =
    major < MIN_SATELLITE_VERSION.major ||
    (major === MIN_SATELLITE_VERSION.major && minor < MIN_SATELLITE_VERSION.minor);
  if (!old) return { ok: true, known: true };
  return {
    ok: false,
    code: 'SLMCT1006',
    message: `the satellite runs version ${v}; smartlic needs CSSM On-Prem 7.2 or later for every function`,
    action: 'upgrade the satellite to 7.2 or later, then add the account again',
  };
}
