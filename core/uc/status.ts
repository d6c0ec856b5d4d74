/**
 * The smart-license status a UC application reports, as one typed structure: CUCM's
 * `getSmartLicenseStatus` (DOMAIN §4: all values strings, dates in Java `Date.toString()`
 * form) is parsed here; Unity Connection's own shape in cupi-status.ts maps onto the same
 * SmartLicenseStatus.
 */
import { z } from 'zod';
import { licenseModeOfTags } from '../domain/catalog.ts';
import { parseJavaDate } from './java-date.ts';

/**
 * A scalar as the applications send it: text, or a JSON number or boolean. The fields are
 * checked for shape by zod here and converted (trimmed text, dates, whole numbers) by one
 * transform over the whole object below, not by a transform per field: a zod transform costs
 * about a microsecond per field, and a sync reads thousands of these answers.
 */
const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]).optional();
type Scalar = z.output<typeof scalar>;

/** One element or many (XML repeats become arrays only when there are two or more). */
const oneOrMany = <T extends z.ZodTypeAny>(item: T) =>
  z.preprocess(
    (v): unknown[] =>
      v === undefined || v === null || v === '' ? [] : Array.isArray(v) ? (v as unknown[]) : [v],
    z.array(item),
  );

const rawDetailsSchema = z.object({
  SmartLicensing: scalar,
  Registration: z
    .object({
      Status: z.string(),
      SmartAccount: scalar,
      VirtualAccount: scalar,
      ExportControlFunctionality: scalar,
      LastRenewalAttempt: scalar,
      LastRenewalStatus: scalar,
      NextRenewalAttempt: scalar,
      RegistrationExpires: scalar,
      RegistrationFailedReason: scalar,
      ProductUDI: scalar,
    })
    .optional(),
  Authorization: z
    .object({
      Status: z.string(),
      LastCommunicationAttempt: scalar,
      LastCommunicationStatus: scalar,
      NextCommunicationAttempt: scalar,
      AuthorizationExpires: scalar,
      AuthorizationFailedReason: scalar,
      EvaluationPeriodRemaining: scalar,
    })
    .optional(),
  LicenseStatus: z
    .union([
      z.object({
        Entitlement: oneOrMany(z.object({ Tag: z.string(), Count: scalar, Status: scalar })),
      }),
      z.literal(''),
      z.null(),
    ])
    .optional(),
  // Not in the schema's LicenseDetails (a closed sequence); read if an application ever sends
  // it [design]. The license mode is never read from an element: see licenseModeOfTags.
  TransportMode: scalar,
});

/** The status fields, typed: text trimmed ('' and null read as absent), dates, numbers. */
export interface LicenseDetails {
  SmartLicensing?: string;
  Registration?: {
    Status: string;
    SmartAccount?: string;
    VirtualAccount?: string;
    ExportControlFunctionality?: string;
    LastRenewalAttempt: Date | null;
    LastRenewalStatus?: string;
    NextRenewalAttempt: Date | null;
    RegistrationExpires: Date | null;
    RegistrationFailedReason?: string;
    ProductUDI?: string;
  };
  Authorization?: {
    Status: string;
    LastCommunicationAttempt: Date | null;
    LastCommunicationStatus?: string;
    NextCommunicationAttempt: Date | null;
    AuthorizationExpires: Date | null;
    AuthorizationFailedReason?: string;
    EvaluationPeriodRemaining: number | null;
  };
  LicenseStatus?:
    { Entitlement: { Tag: string; Count: number | null; Status?: string }[] } | '' | null;
  TransportMode?: string;
}

/** Placeholders the applications print where a date has not happened yet. */
const NO_DATE = /^(none|n\/a|na|never|not available|-+)$/i;

function text(v: Scalar): string | undefined {
  if (v === null || v === undefined) return undefined;
  const t = String(v).trim();
  return t === '' ? undefined : t;
}

export const licenseDetailsSchema = rawDetailsSchema.transform((d, ctx): LicenseDetails => {
  // Issues name the field, as a per-field schema would.
  const date = (v: Scalar, path: (string | number)[]): Date | null => {
    const t = text(v);
    if (t === undefined || NO_DATE.test(t)) return null;
    const parsed = parseJavaDate(t);
    if (!parsed)
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `unreadable date "${t}"`, path });
    return parsed ?? null;
  };
  const int = (v: Scalar, path: (string | number)[]): number | null => {
    const t = text(v);
    if (t === undefined) return null;
    if (!/^-?\d+$/.test(t)) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: `expected a whole number, got "${t}"`,
        path,
      });
      return null;
    }
    return Number(t);
  };
  const r = d.Registration;
  const a = d.Authorization;
  const ls = d.LicenseStatus;
  return {
    SmartLicensing: text(d.SmartLicensing),
    ...(r && {
      Registration: {
        Status: r.Status,
        SmartAccount: text(r.SmartAccount),
        VirtualAccount: text(r.VirtualAccount),
        ExportControlFunctionality: text(r.ExportControlFunctionality),
        LastRenewalAttempt: date(r.LastRenewalAttempt, ['Registration', 'LastRenewalAttempt']),
        LastRenewalStatus: text(r.LastRenewalStatus),
        NextRenewalAttempt: date(r.NextRenewalAttempt, ['Registration', 'NextRenewalAttempt']),
        RegistrationExpires: date(r.RegistrationExpires, ['Registration', 'RegistrationExpires']),
        RegistrationFailedReason: text(r.RegistrationFailedReason),
        ProductUDI: text(r.ProductUDI),
      },
    }),
    ...(a && {
      Authorization: {
        Status: a.Status,
        LastCommunicationAttempt: date(a.LastCommunicationAttempt, [
          'Authorization',
          'LastCommunicationAttempt',
        ]),
        LastCommunicationStatus: text(a.LastCommunicationStatus),
        NextCommunicationAttempt: date(a.NextCommunicationAttempt, [
          'Authorization',
          'NextCommunicationAttempt',
        ]),
        AuthorizationExpires: date(a.AuthorizationExpires, [
          'Authorization',
          'AuthorizationExpires',
        ]),
        AuthorizationFailedReason: text(a.AuthorizationFailedReason),
        EvaluationPeriodRemaining: int(a.EvaluationPeriodRemaining, [
          'Authorization',
          'EvaluationPeriodRemaining',
        ]),
      },
    }),
    ...(ls !== undefined && {
      LicenseStatus:
        ls && typeof ls === 'object'
          ? {
              Entitlement: ls.Entitlement.map((e, i) => ({
                Tag: e.Tag,
                Count: int(e.Count, ['LicenseStatus', 'Entitlement', i, 'Count']),
                Status: text(e.Status),
              })),
            }
          : ls,
    }),
    TransportMode: text(d.TransportMode),
  };
});

/** `{ LicenseDetails: … }`: the AXL answer's element (beside `<return>`), as plain data. */
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
  /**
   * The mode the entitlement tags show (Enterprise, HCS or HCS-LE); absent when they show none
   * (no entitlement listed, or tags of several families). No product reports its mode in an
   * element of its status answer, so this is the only way it is read.
   */
  licenseMode?: string;
  transportMode?: string;
}

/**
 * Reads CUCM's `UDI: PID:UCM,SN:0efb8,UUID:…` (the `UDI:` prefix optional) and Unity
 * Connection's `pid=Cisco Unity Connection sn=cbd7…` (DOMAIN §4).
 */
export function parseProductUdi(raw: string): ProductUdi | undefined {
  const cupi = /^\s*pid=(.+?)\s+sn=(\S+)\s*$/i.exec(raw);
  if (cupi) return { pid: cupi[1]!.trim(), sn: cupi[2]! };
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

export function toSmartLicenseStatus(d: LicenseDetails): SmartLicenseStatus {
  const r = d.Registration;
  const a = d.Authorization;
  const udi = r?.ProductUDI ? parseProductUdi(r.ProductUDI) : undefined;
  const ls = d.LicenseStatus;
  const entitlements =
    ls && typeof ls === 'object'
      ? ls.Entitlement.map((e) => strip({ tag: e.Tag, count: e.Count ?? 0, status: e.Status }))
      : [];
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
    entitlements,
    licenseMode: licenseModeOfTags(entitlements.map((e) => e.tag)),
    transportMode: d.TransportMode,
  });
}

/** Drops keys whose value is undefined, so optional fields are absent rather than undefined. */
function strip<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}
