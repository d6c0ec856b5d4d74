/**
 * zod schemas of CSSM answers (field names exactly as DOMAIN §2) and their conversion to the
 * camelCase types the rest of core uses. Lenient where real CSSM varies (numbers as strings on
 * On-Prem, dates as `YYYY-MM-DD` or ISO, `isDefault` as a string), strict on what we need.
 */
import { z } from 'zod';

/** A number, or a string holding one (On-Prem sends "365"). */
export const num = z.union([
  z.number(),
  z
    .string()
    .trim()
    .regex(/^-?\d+(\.\d+)?$/, 'expected a number')
    .transform(Number),
]);

/**
 * A license count: a whole number, zero or more. A fractional or negative quantity is not a
 * count CSSM can mean, so it is a shape error naming the field rather than a number we store.
 */
export const licenseCount = num.superRefine((v, ctx) => {
  if (!Number.isInteger(v)) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `expected a whole number, got ${v}` });
  } else if (v < 0) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `expected zero or more, got ${v}` });
  }
});

/** A whole number that may be negative (`available` goes below zero when usage is over). */
export const signedCount = num.superRefine((v, ctx) => {
  if (!Number.isInteger(v)) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `expected a whole number, got ${v}` });
  }
});

/** Parses `YYYY-MM-DD` (as UTC midnight) or an ISO timestamp; undefined when unreadable. */
export function parseCssmDate(s: string): Date | undefined {
  const v = s.trim();
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  if (day) {
    const d = new Date(Date.UTC(Number(day[1]), Number(day[2]) - 1, Number(day[3])));
    return d.getUTCDate() === Number(day[3]) ? d : undefined;
  }
  if (!/^\d{4}-\d{2}-\d{2}T/.test(v)) return undefined;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

/** A date field: null/absent/empty → null; `YYYY-MM-DD` or ISO → Date. */
export const cssmDate = z
  .string()
  .nullish()
  .transform((v, ctx): Date | null => {
    if (v === null || v === undefined || v.trim() === '') return null;
    const d = parseCssmDate(v);
    if (!d) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: `expected YYYY-MM-DD or ISO date, got "${v}"`,
      });
      return z.NEVER;
    }
    return d;
  });

/** `"true"`/`"false"` (CSSM) or a real boolean. */
export const stringBool = z.union([
  z.boolean(),
  z
    .enum(['true', 'false', 'TRUE', 'FALSE', 'True', 'False'])
    .transform((v) => v.toLowerCase() === 'true'),
]);

// nullish() rather than a union with null and undefined: a union records an issue for every
// member that does not match, and most optional fields are absent (GC cost on large pages).
const optStr = z
  .string()
  .nullish()
  .transform((v) => (v === null || v === undefined ? undefined : v));

/** Fields every CSSM envelope may carry. */
const envelope = { status: optStr, statusMessage: optStr };

export const accountsV2Schema = z.object({
  ...envelope,
  accounts: z.array(
    z.object({
      accountName: z.string(),
      accountDomain: z.string(),
      accountStatus: z.string(),
      accountType: z.string(),
      roles: z
        .array(z.object({ role: z.string(), virtualAccount: optStr }))
        .nullish()
        .transform((v) => v ?? []),
    }),
  ),
});

export const accountSearchSchema = z.object({
  ...envelope,
  totalRecords: num,
  accounts: z.array(
    z.object({
      domain: z.string(),
      name: z.string(),
      id: z.union([z.string(), z.number()]).transform(String),
      type: z.string(),
      status: z.string(),
    }),
  ),
});

export const virtualAccountsSchema = z.object({
  ...envelope,
  virtualAccounts: z.array(
    z.object({
      name: z.string(),
      description: optStr,
      isDefault: stringBool,
      commerceAccessLevel: optStr,
    }),
  ),
});

const licenseDetailSchema = z.object({
  licenseType: z.string(),
  quantity: licenseCount,
  startDate: cssmDate,
  endDate: cssmDate,
  subscriptionId: optStr,
  status: optStr,
});

const licenseSubstitutionSchema = z.object({
  licenseName: z.string(),
  substitutedLicense: z.string(),
  substitutedQuantity: licenseCount,
  substitutionType: optStr,
});

export const licenseSchema = z.object({
  license: z.string(),
  virtualAccount: z.string(),
  quantity: licenseCount,
  inUse: licenseCount,
  available: signedCount,
  reserved: licenseCount.nullish().transform((v) => v ?? 0),
  pendingQuantity: licenseCount.nullish().transform((v) => v ?? 0),
  status: z.string(),
  billingType: optStr,
  isPortable: stringBool.nullish().transform((v) => v ?? false),
  ahaApps: stringBool.nullish().transform((v) => v ?? false),
  licenseSubstitutions: z
    .array(licenseSubstitutionSchema)
    .nullish()
    .transform((v) => v ?? []),
  licenseDetails: z
    .array(licenseDetailSchema)
    .nullish()
    .transform((v) => v ?? []),
});

export const licensesPageSchema = z.object({
  ...envelope,
  totalRecords: num,
  licenses: z.array(licenseSchema),
});

const tokenSchema = z.object({
  token: z.string(),
  description: optStr,
  expirationDate: cssmDate,
  exportControlled: optStr,
  createdBy: optStr,
  status: optStr,
});

export const tokensSchema = z.object({ ...envelope, tokens: z.array(tokenSchema) });

export const createTokenSchema = z.object({ ...envelope, tokenInfo: tokenSchema });

/** Answers that carry nothing but an envelope (revoke, transfer, remove). */
export const envelopeSchema = z.object({ ...envelope }).passthrough();

const deviceSchema = z.object({
  instanceName: optStr,
  productTagName: optStr,
  sudi: z.object({ udiPid: z.string(), udiSerialNumber: z.string() }),
  virtualAccount: optStr,
  virtualAccountName: optStr,
  lastContactDate: cssmDate,
  registrationStatus: optStr,
  authorizationStatus: optStr,
});

/** The new API answers `data[]`/`totalRows`; the older one `devices[]` (DOMAIN §2). */
export const devicesPageSchema = z.union([
  z.object({ ...envelope, data: z.array(deviceSchema), totalRows: num }),
  z.object({
    ...envelope,
    devices: z.array(deviceSchema),
    totalRecords: num.optional(),
    totalRows: num.optional(),
  }),
]);

/** On-Prem `GET v1/accounts`: the local accounts with their last sync [design]. */
export const onPremAccountsSchema = z.object({
  accounts: z.array(
    z
      .object({
        accountName: z.string(),
        lastSync: z.string().nullish(),
      })
      .passthrough(),
  ),
});

/** On-Prem `GET v1/satellite` (emulator extension): the satellite's link to CSSM. */
export const satelliteSchema = z.object({
  satellite: z
    .object({
      lastSync: z.string().nullish(),
      syncMode: z.enum(['connected', 'disconnected']).nullish(),
      host: z.string().nullish(),
      /** The release, where the satellite tells it (`7.2`, `8-202404`; an edition in words). */
      version: z.string().nullish(),
    })
    .passthrough(),
});

export const oauthTokenSchema = z.object({
  access_token: z.string().min(1),
  token_type: optStr,
  expires_in: num.optional(),
});

// ---- domain-ish types ----

export interface CssmAccount {
  name: string;
  domain: string;
  status: string;
  type: string;
  roles: { role: string; virtualAccount?: string }[];
}

export interface CssmAccountSearchHit {
  domain: string;
  name: string;
  id: string;
  type: string;
  status: string;
}

export interface CssmVirtualAccount {
  name: string;
  description?: string;
  isDefault: boolean;
  commerceAccessLevel?: string;
}

export interface CssmLicenseDetail {
  licenseType: string;
  quantity: number;
  startDate: Date | null;
  endDate: Date | null;
  subscriptionId?: string;
  status?: string;
}

export interface CssmLicenseSubstitution {
  licenseName: string;
  substitutedLicense: string;
  substitutedQuantity: number;
  substitutionType?: string;
}

export interface CssmLicense {
  license: string;
  virtualAccount: string;
  quantity: number;
  inUse: number;
  available: number;
  reserved: number;
  pendingQuantity: number;
  status: string;
  billingType?: string;
  isPortable: boolean;
  ahaApps: boolean;
  substitutions: CssmLicenseSubstitution[];
  details: CssmLicenseDetail[];
}

export interface CssmToken {
  token: string;
  description?: string;
  expirationDate: Date | null;
  exportControlled?: string;
  createdBy?: string;
  status?: string;
}

export interface CssmDevice {
  instanceName?: string;
  productTagName?: string;
  udiPid: string;
  udiSerialNumber: string;
  virtualAccount?: string;
  lastContactDate: Date | null;
  registrationStatus?: string;
  authorizationStatus?: string;
}

type Out<S extends z.ZodTypeAny> = z.output<S>;

export function toLicense(l: Out<typeof licenseSchema>): CssmLicense {
  const { licenseSubstitutions, licenseDetails, ...rest } = l;
  return { ...rest, substitutions: licenseSubstitutions, details: licenseDetails };
}

export function toDevice(d: Out<typeof deviceSchema>): CssmDevice {
  return {
    instanceName: d.instanceName,
    productTagName: d.productTagName,
    udiPid: d.sudi.udiPid,
    udiSerialNumber: d.sudi.udiSerialNumber,
    virtualAccount: d.virtualAccount ?? d.virtualAccountName,
    lastContactDate: d.lastContactDate,
    registrationStatus: d.registrationStatus,
    authorizationStatus: d.authorizationStatus,
  };
}
