/**
 * Unity Connection's `GET /vmrest/smartlicense/licensedetails` answer (DOMAIN §4, CUPI guide):
 * not the CUCM shape. `Register` (not `Registration`); dates as
 * `[SUCCEEDED|FAILED ]YYYY-MM-DD HH:mm:ss.S` with an optional leading status word and stray
 * spaces, or `Not Applicable`; evaluation remaining as `days:hours:minutes`; entitlements in
 * `LicenseUsage.EntitlementTag[]` with `Id`, `Count`, `Status`. The same fields arrive as JSON
 * or as XML elements (CUPI serves both); XML is turned into the same plain object first.
 */
import { licenseModeOfTags } from '../domain/catalog.ts';
import { z } from 'zod';
import type { SmartLicenseStatus } from './status.ts';
import { parseProductUdi } from './status.ts';

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]).optional();
type Scalar = z.output<typeof scalar>;

const oneOrMany = <T extends z.ZodTypeAny>(item: T) =>
  z.preprocess(
    (v): unknown[] =>
      v === undefined || v === null || v === '' ? [] : Array.isArray(v) ? (v as unknown[]) : [v],
    z.array(item),
  );

export const cupiLicenseDetailsSchema = z.object({
  SmartLicensing: scalar,
  Register: z
    .object({
      Status: z.string(),
      SmartAccount: scalar,
      VirtualAccount: scalar,
      LastRenewalAttempt: scalar,
      NextRenewalAttempt: scalar,
      LastRegistrationSuccessTime: scalar,
      ProductUDI: scalar,
      ExportControlFunctionality: scalar,
    })
    .optional(),
  Authorization: z
    .object({
      Status: z.string(),
      LastCommunicationAttempt: scalar,
      NextCommunicationAttempt: scalar,
      EvaluationPeriodRemaining: scalar,
    })
    .optional(),
  LicenseUsage: z
    .union([
      z.object({
        EntitlementTag: oneOrMany(z.object({ Id: z.string(), Count: scalar, Status: scalar })),
      }),
      z.literal(''),
      z.null(),
    ])
    .optional(),
});

export type CupiLicenseDetails = z.output<typeof cupiLicenseDetailsSchema>;

/** A field that could not be read: the path and why. */
export class CupiFieldError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`field \`${path}\`: ${message}`);
  }
}

function text(v: Scalar): string | undefined {
  if (v === null || v === undefined) return undefined;
  const t = String(v).trim();
  return t === '' ? undefined : t;
}

const CUPI_DATE =
  /^(?:(SUCCEEDED|FAILED|SUCCESS|FAILURE)\s+)?(\d{4})-(\d{2})-(\d{2})\s+(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?$/i;
const NOT_APPLICABLE = /^(not applicable|none|n\/a|na|never|-+)$/i;

/**
 * `SUCCEEDED 2017-11-22 13:17:19.0` → the outcome word and the instant. CUPI prints no zone;
 * the time is read as UTC [design: the product's own zone is not in the answer].
 */
export function parseCupiAttempt(v: Scalar, path: string): { status?: string; at: Date | null } {
  const t = text(v);
  if (t === undefined || NOT_APPLICABLE.test(t)) return { at: null };
  const m = CUPI_DATE.exec(t.replace(/\s+/g, ' '));
  if (!m) throw new CupiFieldError(path, `unreadable date "${t}"`);
  const [, word, y, mo, d, h, mi, s, frac] = m;
  const ms = frac ? Number(frac.padEnd(3, '0')) : 0;
  const at = new Date(
    Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms),
  );
  if (Number.isNaN(at.getTime()) || at.getUTCDate() !== Number(d)) {
    throw new CupiFieldError(path, `unreadable date "${t}"`);
  }
  return { ...(word ? { status: word.toUpperCase() } : {}), at };
}

/** `87:0:36` (days:hours:minutes) → 87 whole days; a plain number of days is read too. */
export function parseEvaluationRemaining(v: Scalar, path: string): number | null {
  const t = text(v);
  if (t === undefined || NOT_APPLICABLE.test(t)) return null;
  const m = /^(\d+)(?::(\d+)(?::(\d+))?)?$/.exec(t);
  if (!m) throw new CupiFieldError(path, `expected days:hours:minutes, got "${t}"`);
  return Number(m[1]);
}

function count(v: Scalar, path: string): number {
  const t = text(v);
  if (t === undefined) return 0;
  if (!/^-?\d+$/.test(t)) throw new CupiFieldError(path, `expected a whole number, got "${t}"`);
  return Number(t);
}

/** The parsed CUPI answer as the status every client reports. Throws CupiFieldError. */
export function cupiToSmartLicenseStatus(d: CupiLicenseDetails): SmartLicenseStatus {
  const r = d.Register;
  const a = d.Authorization;
  const lastRenewal = parseCupiAttempt(r?.LastRenewalAttempt, 'Register.LastRenewalAttempt');
  const nextRenewal = parseCupiAttempt(r?.NextRenewalAttempt, 'Register.NextRenewalAttempt');
  const lastComm = parseCupiAttempt(
    a?.LastCommunicationAttempt,
    'Authorization.LastCommunicationAttempt',
  );
  const nextComm = parseCupiAttempt(
    a?.NextCommunicationAttempt,
    'Authorization.NextCommunicationAttempt',
  );
  const udiRaw = text(r?.ProductUDI);
  const udi = udiRaw ? parseProductUdi(udiRaw) : undefined;
  const usage = d.LicenseUsage;
  const out: SmartLicenseStatus = {
    registration: {
      status: r?.Status.trim() || 'Unregistered',
      lastRenewalAttempt: lastRenewal.at,
      nextRenewalAttempt: nextRenewal.at,
      registrationExpires: null,
    },
    authorization: {
      status: a?.Status.trim() || 'No License in use',
      lastCommunicationAttempt: lastComm.at,
      nextCommunicationAttempt: nextComm.at,
      authorizationExpires: null,
      evaluationPeriodRemainingDays: parseEvaluationRemaining(
        a?.EvaluationPeriodRemaining,
        'Authorization.EvaluationPeriodRemaining',
      ),
    },
    entitlements:
      usage && typeof usage === 'object'
        ? usage.EntitlementTag.map((e, i) => {
            const status = text(e.Status);
            return {
              tag: e.Id.trim(),
              count: count(e.Count, `LicenseUsage.EntitlementTag[${i}].Count`),
              ...(status ? { status } : {}),
            };
          })
        : [],
  };
  const smart = text(d.SmartLicensing);
  if (smart) out.smartLicensing = smart;
  const reg = out.registration;
  const sa = text(r?.SmartAccount);
  if (sa) reg.smartAccount = sa;
  const va = text(r?.VirtualAccount);
  if (va) reg.virtualAccount = va;
  const ec = text(r?.ExportControlFunctionality);
  if (ec) reg.exportControlFunctionality = ec;
  if (lastRenewal.status) reg.lastRenewalStatus = lastRenewal.status;
  if (udiRaw) reg.productUdiRaw = udiRaw;
  if (udi) reg.productUdi = udi;
  if (lastComm.status) out.authorization.lastCommunicationStatus = lastComm.status;
  // Unity Connection's tags per mode: CUC_*, HCUC_*, HLECUC_* (DOMAIN §4).
  const mode = licenseModeOfTags(out.entitlements.map((e) => e.tag));
  if (mode) out.licenseMode = mode;
  return out;
}
