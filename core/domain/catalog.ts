/**
 * License catalog (DOMAIN §6): every license type smartlic knows, its tier chain, and the
 * Enterprise → HCS mapping. Pure data and lookups.
 */

export type AppType = 'CUCM' | 'CUC' | 'CER';
export type LicenseFamily = 'Enterprise' | 'HCS';
/** The mode an application runs in; decides which license family it asks for first. */
export type RequestMode = 'Enterprise' | 'HCS';
export type HcsAppCode = 'HUCM' | 'HCUC' | 'HCER';

export const LICENSE_TYPE_IDS = [
  'UCM_Essential',
  'UCM_Basic',
  'UCM_Enhanced',
  'UCM_EnhancedPlus',
  'UCM_CUWL',
  'UCM_TelePresenceRoom',
  'CUC_BasicMessaging',
  'CUC_EnhancedMessaging',
  'CUC_SpeechConnectPort',
  'CER_USER',
  'HUCM_Essential',
  'HUCM_Basic',
  'HUCM_Foundation',
  'HUCM_Standard',
  'HUCM_TelePresenceRoom',
  'HCUC_BasicMessaging',
  'HCUC_EnhancedMessaging',
  'HCUC_StandardMessaging',
  'HCUC_SpeechConnectPort',
  'HCER_User',
] as const;

export type LicenseTypeId = (typeof LICENSE_TYPE_IDS)[number];

/**
 * A tier chain: license types of one family where a higher tier may serve a lower request
 * (DOMAIN §6 rule 1). Types on different chains never serve each other, except through
 * dual parenting (Enterprise → HCS, `hcsEntry`).
 */
export type TierChain =
  | 'ucm-user'
  | 'ucm-room'
  | 'cuc-user'
  | 'cuc-port'
  | 'cer-user'
  | 'hucm-user'
  | 'hucm-room'
  | 'hcuc-user'
  | 'hcuc-port'
  | 'hcer-user';

export interface LicenseType {
  id: LicenseTypeId;
  app: AppType;
  family: LicenseFamily;
  /** Name CSSM shows in the `license` field of a license record. */
  displayName: string;
  /** Smart Licensing regid entitlement tag as the product reports it. */
  tag: string;
  /** Whether `tag` was seen on a real system [sample] or made up in its shape [design]. */
  tagSource: 'sample' | 'design';
  chain: TierChain;
  /** Rank inside its chain, 0 = lowest. */
  tier: number;
  /** HCS report code (SI / HLM reports); equals `id` for HCS types. */
  reportCode?: string;
  /** HCS application code used in SI reports. */
  appCode?: HcsAppCode;
  /** Devices one user license covers (CUCM user tiers only) [doc]. */
  devicesPerUser?: number;
  /**
   * Enterprise types: the HCS type that dual parenting falls back to (DOMAIN §6 mapping).
   * Absent where Cisco maps nothing (CUC Speech Connect port).
   */
  hcsFallback?: LicenseTypeId;
  /** Enterprise types: the HCS type an HCS-mode application asks for instead [design]. */
  hcsEntry?: LicenseTypeId;
}

// Tags for non-UCM types are not public; these follow the regid shape with stable
// made-up UUIDs [design], so the short name (between `.cisco.` and `,`) is what matters.
const designTag = (short: string, uuid: string): string =>
  `regid.2018-01.com.cisco.${short},12.0_${uuid}`;

export const LICENSE_TYPES: readonly LicenseType[] = [
  {
    id: 'UCM_Essential',
    app: 'CUCM',
    family: 'Enterprise',
    displayName: 'UC Manager Essential License (12.x)',
    tag: 'regid.2016-07.com.cisco.UCM_Essential,12.0_25f9c396-c67c-4519-aa98-d4b3ad18f805',
    tagSource: 'sample',
    chain: 'ucm-user',
    tier: 0,
    devicesPerUser: 1,
    hcsFallback: 'HUCM_Foundation',
    hcsEntry: 'HUCM_Essential',
  },
  {
    id: 'UCM_Basic',
    app: 'CUCM',
    family: 'Enterprise',
    displayName: 'UC Manager Basic License (12.x)',
    tag: 'regid.2016-07.com.cisco.UCM_Basic,12.0_ef827a2f-f4ae-4ebb-887f-052737063d3a',
    tagSource: 'sample',
    chain: 'ucm-user',
    tier: 1,
    devicesPerUser: 1,
    hcsFallback: 'HUCM_Foundation',
    hcsEntry: 'HUCM_Basic',
  },
  {
    id: 'UCM_Enhanced',
    app: 'CUCM',
    family: 'Enterprise',
    displayName: 'UC Manager Enhanced License (12.x)',
    tag: 'regid.2016-07.com.cisco.UCM_Enhanced,12.0_66d0d1cf-4863-4761-91d0-d01d3eb1949a',
    tagSource: 'sample',
    chain: 'ucm-user',
    tier: 2,
    devicesPerUser: 1,
    hcsFallback: 'HUCM_Foundation',
    hcsEntry: 'HUCM_Foundation',
  },
  {
    id: 'UCM_EnhancedPlus',
    app: 'CUCM',
    family: 'Enterprise',
    displayName: 'UC Manager Enhanced Plus License (12.x)',
    tag: 'regid.2016-07.com.cisco.UCM_EnhancedPlus,12.0_d8372792-588c-4caa-b279-8587e5ce2f82',
    tagSource: 'sample',
    chain: 'ucm-user',
    tier: 3,
    devicesPerUser: 2,
    hcsFallback: 'HUCM_Standard',
    hcsEntry: 'HUCM_Standard',
  },
  {
    id: 'UCM_CUWL',
    app: 'CUCM',
    family: 'Enterprise',
    displayName: 'UC Manager CUWL License (12.x)',
    tag: 'regid.2017-02.com.cisco.UCM_CUWL,12.0_cc59375a-1cd8-4b36-8366-6f4d2abba965',
    tagSource: 'sample',
    chain: 'ucm-user',
    tier: 4,
    devicesPerUser: 10,
    hcsFallback: 'HUCM_Standard',
    hcsEntry: 'HUCM_Standard',
  },
  {
    id: 'UCM_TelePresenceRoom',
    app: 'CUCM',
    family: 'Enterprise',
    displayName: 'UC Manager TelePresence Room License (12.x)',
    tag: 'regid.2016-07.com.cisco.UCM_TelePresenceRoom,12.0_d9a71418-29e9-4c9a-9d3a-1366ebe38e7c',
    tagSource: 'sample',
    chain: 'ucm-room',
    tier: 0,
    hcsFallback: 'HUCM_TelePresenceRoom',
    hcsEntry: 'HUCM_TelePresenceRoom',
  },
  {
    id: 'CUC_BasicMessaging',
    app: 'CUC',
    family: 'Enterprise',
    displayName: 'Unity Connection Basic Messaging License (12.x)',
    tag: designTag('CUC_BasicMessaging', '4b1f2c4e-7a51-4d0e-9a0c-2f6e0c1d9a01'),
    tagSource: 'design',
    chain: 'cuc-user',
    tier: 0,
    hcsFallback: 'HCUC_BasicMessaging',
    hcsEntry: 'HCUC_BasicMessaging',
  },
  {
    id: 'CUC_EnhancedMessaging',
    app: 'CUC',
    family: 'Enterprise',
    displayName: 'Unity Connection Enhanced Messaging License (12.x)',
    tag: designTag('CUC_EnhancedMessaging', '4b1f2c4e-7a51-4d0e-9a0c-2f6e0c1d9a02'),
    tagSource: 'design',
    chain: 'cuc-user',
    tier: 1,
    hcsFallback: 'HCUC_StandardMessaging',
    hcsEntry: 'HCUC_EnhancedMessaging',
  },
  {
    id: 'CUC_SpeechConnectPort',
    app: 'CUC',
    family: 'Enterprise',
    displayName: 'Unity Connection Speech Connect Port License (12.x)',
    tag: designTag('CUC_SpeechConnectPort', '4b1f2c4e-7a51-4d0e-9a0c-2f6e0c1d9a03'),
    tagSource: 'design',
    chain: 'cuc-port',
    tier: 0,
    hcsEntry: 'HCUC_SpeechConnectPort',
  },
  {
    id: 'CER_USER',
    app: 'CER',
    family: 'Enterprise',
    displayName: 'Emergency Responder User License (12.x)',
    tag: designTag('CER_USER', '4b1f2c4e-7a51-4d0e-9a0c-2f6e0c1d9a04'),
    tagSource: 'design',
    chain: 'cer-user',
    tier: 0,
    hcsFallback: 'HCER_User',
    hcsEntry: 'HCER_User',
  },
  hcs('HUCM_Essential', 'CUCM', 'HCS UCM Essential', 'hucm-user', 0, 'HUCM', '05'),
  hcs('HUCM_Basic', 'CUCM', 'HCS UCM Basic', 'hucm-user', 1, 'HUCM', '06'),
  hcs('HUCM_Foundation', 'CUCM', 'HCS UCM Foundation', 'hucm-user', 2, 'HUCM', '07'),
  hcs('HUCM_Standard', 'CUCM', 'HCS UCM Standard', 'hucm-user', 3, 'HUCM', '08'),
  hcs('HUCM_TelePresenceRoom', 'CUCM', 'HCS UCM TelePresence Room', 'hucm-room', 0, 'HUCM', '09'),
  hcs('HCUC_BasicMessaging', 'CUC', 'HCS Unity Connection Basic', 'hcuc-user', 0, 'HCUC', '10'),
  hcs(
    'HCUC_EnhancedMessaging',
    'CUC',
    'HCS Unity Connection Enhanced',
    'hcuc-user',
    1,
    'HCUC',
    '11',
  ),
  hcs(
    'HCUC_StandardMessaging',
    'CUC',
    'HCS Unity Connection Standard',
    'hcuc-user',
    2,
    'HCUC',
    '12',
  ),
  hcs(
    'HCUC_SpeechConnectPort',
    'CUC',
    'HCS Unity Connection Speech Connect',
    'hcuc-port',
    0,
    'HCUC',
    '13',
  ),
  hcs('HCER_User', 'CER', 'HCS Emergency Responder', 'hcer-user', 0, 'HCER', '14'),
];

function hcs(
  id: LicenseTypeId,
  app: AppType,
  displayName: string,
  chain: TierChain,
  tier: number,
  appCode: HcsAppCode,
  uuidSuffix: string,
): LicenseType {
  return {
    id,
    app,
    family: 'HCS',
    displayName,
    tag: designTag(id, `4b1f2c4e-7a51-4d0e-9a0c-2f6e0c1d9a${uuidSuffix}`),
    tagSource: 'design',
    chain,
    tier,
    reportCode: id,
    appCode,
  };
}

const BY_ID = new Map<string, LicenseType>(LICENSE_TYPES.map((t) => [t.id, t]));
const BY_LOWER = new Map<string, LicenseType>();
for (const t of LICENSE_TYPES) {
  BY_LOWER.set(t.id.toLowerCase(), t);
  BY_LOWER.set(t.displayName.toLowerCase(), t);
}

export function isLicenseTypeId(s: string): s is LicenseTypeId {
  return BY_ID.has(s);
}

export function licenseType(id: LicenseTypeId): LicenseType {
  const t = BY_ID.get(id);
  if (!t) throw new Error(`unknown license type id ${id}`);
  return t;
}

/** The short name of a regid tag: the text between `.cisco.` and `,` (DOMAIN §6). */
export function shortNameOfTag(tag: string): string | undefined {
  const m = /\.cisco\.([^,]+),/i.exec(tag);
  return m?.[1];
}

/**
 * Finds a license type by short name (`UCM_CUWL`), regid tag, or CSSM display name; case does
 * not matter. `undefined` when nothing matches.
 */
export function findLicenseType(key: string): LicenseType | undefined {
  const k = key.trim();
  const direct = BY_ID.get(k) ?? BY_LOWER.get(k.toLowerCase());
  if (direct) return direct;
  const short = shortNameOfTag(k);
  if (short) return BY_ID.get(short) ?? BY_LOWER.get(short.toLowerCase());
  return undefined;
}

/**
 * The license mode a product's entitlement tags show (DOMAIN §4, §6). No application reports
 * its mode in an element of its status; what it shows is which licenses it asks for:
 * Enterprise types (`UCM_*`, `CUC_*`, `CER_USER`), HCS types (`HUCM_*`, `HCUC_*`, `HCER_*`),
 * or HCS-LE types (`HLECUC_*` [doc], and `HLE` before any other short name [design]).
 * `undefined` when the tags say nothing (no known tag) or disagree.
 */
export function licenseModeOfTags(
  tags: readonly string[],
): 'Enterprise' | 'HCS' | 'HCS-LE' | undefined {
  const seen = new Set<'Enterprise' | 'HCS' | 'HCS-LE'>();
  for (const tag of tags) {
    const short = shortNameOfTag(tag) ?? tag.trim();
    if (/^HLE/i.test(short)) seen.add('HCS-LE');
    else {
      const t = findLicenseType(short);
      if (t) seen.add(t.family);
    }
  }
  return seen.size === 1 ? [...seen][0] : undefined;
}

/** Types of one chain, lowest tier first. */
export function chainMembers(chain: TierChain): LicenseType[] {
  return LICENSE_TYPES.filter((t) => t.chain === chain).sort((a, b) => a.tier - b.tier);
}

/** The type itself and every higher tier of its chain, nearest first. */
export function tiersFrom(id: LicenseTypeId): LicenseTypeId[] {
  const t = licenseType(id);
  return chainMembers(t.chain)
    .filter((m) => m.tier >= t.tier)
    .map((m) => m.id);
}

/**
 * The license types that may serve a request, most preferred first (DOMAIN §6 rules 1–3):
 * - Enterprise mode, Enterprise type: own type, higher Enterprise tiers, then dual parenting
 *   to the mapped HCS type and the HCS tiers above it (Enterprise → HCS Foundation → HCS
 *   Standard).
 * - HCS mode, Enterprise type: the HCS entry type and the HCS tiers above it.
 * - An HCS type in either mode: that type and the HCS tiers above it.
 */
export function eligibleSources(id: LicenseTypeId, mode: RequestMode): LicenseTypeId[] {
  const t = licenseType(id);
  if (t.family === 'HCS') return tiersFrom(t.id);
  if (mode === 'HCS') return t.hcsEntry ? tiersFrom(t.hcsEntry) : tiersFrom(t.id);
  const own = tiersFrom(t.id);
  return t.hcsFallback ? [...own, ...tiersFrom(t.hcsFallback)] : own;
}

/** Enterprise → HCS mapping as in DOMAIN §6 (the HCS license that covers an Enterprise type). */
export function hcsTypeFor(id: LicenseTypeId): LicenseTypeId | undefined {
  return licenseType(id).hcsFallback;
}

/** Sort key: catalog order. Keeps every listing deterministic. */
export function catalogIndex(id: LicenseTypeId): number {
  return INDEX.get(id) ?? -1;
}

const INDEX = new Map<string, number>(LICENSE_TYPE_IDS.map((id, i) => [id, i]));
