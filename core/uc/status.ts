/**
 * The smart-license status a UC application reports (DOMAIN §4 `getSmartLicenseStatus`), the
 * same structure whether it came as AXL XML or vmrest JSON: all values are strings there,
 * dates in Java `Date.toString()` form. Parsed with zod into typed fields.
 */
import { z } from 'zod';
import { parseJavaDate } from './java-date.ts';

const s = z
  .union([z.string(), z.number(), z.boolean(), z.null(), z.undefined()])
  .transform((v) => (v === null || v === undefined ? undefined : String(v).trim()))
  .transform((v) => (v === '' ? undefined : v));

/** Placeholders the applications print where a date has not happened yet. */
const NO_DATE = /^(none|n\/a|na|never|not available|-+)$/i;

const javaDate = s.transform((v, ctx): Date | null => {
  if (v === undefined || NO_DATE.test(v)) return null;
  const d = parseJavaDate(v);
  if (!d) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `unreadable date "${v}"` });
    return z.NEVER;
  }
  return d;
});

const intString = s.transform((v, ctx): number | null => {
  if (v === undefined) return null;
  if (!/^-?\d+$/.test(v)) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `expected a whole number, got "${v}"` });
    return z.NEVER;
  }
  return Number(v);
});

/** One element or many (XML repeats become arrays only when there are two or more). */
const oneOrMany = <T extends z.ZodTypeAny>(item: T) =>
  z
    .union([z.array(item), item, z.literal(''), z.null(), z.undefined()])
    .transform((v): z.output<T>[] =>
      v === undefined || v === null || v === '' ? [] : Array.isArray(v) ? v : [v],
    );

const entitlementSchema = z.object({ Tag: z.string(), Count: intString, Status: s });

export const licenseDetailsSchema = z.object({
  SmartLicensing: s,
  Registration: z
    .object({
      Status: z.string(),
      SmartAccount: s,
      VirtualAccount: s,
      ExportControlFunctionality: s,
      LastRenewalAttempt: javaDate,
      LastRenewalStatus: s,
      NextRenewalAttempt: javaDate,
      RegistrationExpires: javaDate,
      RegistrationFailedReason: s,
      ProductUDI: s,
    })
    .optional(),
  Authorization: z
    .object({
      Status: z.string(),
      LastCommunicationAttempt: javaDate,
      LastCommunicationStatus: s,
      NextCommunicationAttempt: javaDate,
      AuthorizationExpires: javaDate,
      AuthorizationFailedReason: s,
      EvaluationPeriodRemaining: intString,
    })
    .optional(),
  LicenseStatus: z
    .union([z.object({ Entitlement: oneOrMany(entitlementSchema) }), z.literal(''), z.null()])
    .optional(),
  // Not in the captured sample; read when an application reports them [design].
  LicenseMode: s,
  TransportMode: s,
});

/** `{ LicenseDetails: … }`, as both AXL (inside <return>) and vmrest answer it. */
export const statusEnvelopeSchema = z.object({ LicenseDetails: licenseDetailsSchema });

export interface ProductUdi {
  pid: string;
  sn: string;
  uuid?: string;
}

export interface SmartLicenseStatus {
  /** "ENABLED" / "DISABLED" as reported. */
  smartLicensing?: string;
  registration: {
    /** "Unregistered" | "Registered" | "Registration Expired" (DOMAIN §5), as reported. */
    status: string;
    smartAccount?: string;
    virtualAccount?: string;
    exportControlFunctionality?: string;
    lastRenewalAttempt: Date | null;
    lastRenewalStatus?: string;
    nextRenewalAttempt: Date | null;
    registrationExpires: Date | null;
    registrationFailedReason?: string;
    productUdi?: ProductUdi;
    productUdiRaw?: string;
  };
  authorization: {
    /** "Evaluation Mode" | "Authorized" | "Out of compliance" | … (DOMAIN §5), as reported. */
    status: string;
    lastCommunicationAttempt: Date | null;
    lastCommunicationStatus?: string;
    nextCommunicationAttempt: Date | null;
    authorizationExpires: Date | null;
    authorizationFailedReason?: string;
    /** Days of evaluation left; null when not reported. */
    evaluationPeriodRemainingDays: number | null;
  };
  entitlements: { tag: string; count: number; status?: string }[];
  licenseMode?: string;
  transportMode?: string;
}

/** Reads `UDI: PID:UCM,SN:0efb8,UUID:…` (the `UDI:` prefix optional). */
export function parseProductUdi(raw: string): ProductUdi | undefined {
  const parts = new Map<string, string>();
  for (const piece of raw.replace(/^\s*UDI:\s*/i, '').split(',')) {
    const i = piece.indexOf(':');
    if (i > 0) parts.set(piece.slice(0, i).trim().toUpperCase(), piece.slice(i + 1).trim());
  }
  const pid = parts.get('PID');
  const sn = parts.get('SN');
  if (!pid || !sn) return undefined;
  const uuid = parts.get('UUID');
  return uuid ? { pid, sn, uuid } : { pid, sn };
}

export function toSmartLicenseStatus(d: z.output<typeof licenseDetailsSchema>): SmartLicenseStatus {
  const r = d.Registration;
  const a = d.Authorization;
  const udi = r?.ProductUDI ? parseProductUdi(r.ProductUDI) : undefined;
  const ls = d.LicenseStatus;
  return strip({
    smartLicensing: d.SmartLicensing,
    registration: strip({
      status: r?.Status ?? 'Unregistered',
      smartAccount: r?.SmartAccount,
      virtualAccount: r?.VirtualAccount,
      exportControlFunctionality: r?.ExportControlFunctionality,
      lastRenewalAttempt: r?.LastRenewalAttempt ?? null,
      lastRenewalStatus: r?.LastRenewalStatus,
      nextRenewalAttempt: r?.NextRenewalAttempt ?? null,
      registrationExpires: r?.RegistrationExpires ?? null,
      registrationFailedReason: r?.RegistrationFailedReason,
      productUdi: udi,
      productUdiRaw: r?.ProductUDI,
    }),
    authorization: strip({
      status: a?.Status ?? 'No License in use',
      lastCommunicationAttempt: a?.LastCommunicationAttempt ?? null,
      lastCommunicationStatus: a?.LastCommunicationStatus,
      nextCommunicationAttempt: a?.NextCommunicationAttempt ?? null,
      authorizationExpires: a?.AuthorizationExpires ?? null,
      authorizationFailedReason: a?.AuthorizationFailedReason,
      evaluationPeriodRemainingDays: a?.EvaluationPeriodRemaining ?? null,
    }),
    entitlements:
      ls && typeof ls === 'object'
        ? ls.Entitlement.map((e) => strip({ tag: e.Tag, count: e.Count ?? 0, status: e.Status }))
        : [],
    licenseMode: d.LicenseMode,
    transportMode: d.TransportMode,
  });
}

/** Drops keys whose value is undefined, so optional fields are absent rather than undefined. */
function strip<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}
