/**
 * Usage per virtual account (what CSSM says the VA owns and uses, per license type), its term
 * details, terms ending soon, and usage per customer (what the customer's clusters report).
 */
import { catalogIndex, findLicenseType, isLicenseTypeId, licenseType } from '../domain/catalog.ts';
import { complianceOf, isShort, shortageOf, type Compliance } from '../domain/compliance.ts';
import { daysUntil } from '../domain/lifecycle.ts';
import type { BillingType, LicenseDetailType } from '../store/schema.ts';
import {
  cmp,
  dateOrNull,
  licenseLabel,
  vaLabel,
  virtualAccountRefs,
  type ReportDb,
  type VirtualAccountRef,
} from './common.ts';

export interface LicenseUsageRow {
  /** Catalog id (`UCM_CUWL`) or, when unknown to the catalog, CSSM's license name. */
  licenseType: string;
  /** CSSM's name ("UC Manager CUWL License (12.x)"). */
  displayName: string;
  /** Short name ("CUWL"). */
  label: string;
  owned: number;
  inUse: number;
  available: number;
  reserved: number;
  pending: number;
  /** CSSM's status ("In Compliance", "Insufficient Licenses"). */
  status: string;
  /** Requested and not served (core/domain/compliance `shortageOf`). */
  shortage: number;
  compliant: boolean;
  billingType: BillingType;
}

/**
 * Borrowing, stated both ways so nobody has to guess the direction: `lender` licenses served
 * `borrower` requests. `text` reads like Cisco's example: "50 CUWL lent to Enhanced Plus".
 */
export interface SubstitutionRow {
  lender: string;
  lenderLabel: string;
  borrower: string;
  borrowerLabel: string;
  quantity: number;
  /** CSSM's substitutionType ("Higher Tier", "Dual Parenting"), when given. */
  kind: string | null;
  text: string;
}

export interface TermRow {
  virtualAccountId: number;
  /** `<sa-domain>/<va>` */
  virtualAccount: string;
  licenseType: string;
  label: string;
  kind: LicenseDetailType;
  quantity: number;
  startDate: Date | null;
  /** null: perpetual. */
  endDate: Date | null;
  subscriptionId: string | null;
  status: string;
  /** Days until `endDate` (ceiling, ≥ 0); null for perpetual lines. */
  daysLeft: number | null;
}

export interface VirtualAccountUsage {
  va: VirtualAccountRef;
  compliance: Compliance;
  licenses: LicenseUsageRow[];
  substitutions: SubstitutionRow[];
  /** Every term / perpetual line, by end date (perpetual last). */
  terms: TermRow[];
  /** The lines of `terms` that end within `termsWithinDays` of `now` (and have not ended). */
  termsEndingSoon: TermRow[];
}

/** Sort key of a stored license type: catalog order first, then unknown names. */
function typeOrder(t: string): number {
  return isLicenseTypeId(t) ? catalogIndex(t) : 1000;
}

export function byType(a: { licenseType: string }, b: { licenseType: string }): number {
  return typeOrder(a.licenseType) - typeOrder(b.licenseType) || cmp(a.licenseType, b.licenseType);
}

/** A CSSM license name or type id → catalog id when known. */
function typeKey(name: string): string {
  return findLicenseType(name)?.id ?? name;
}

function termRow(
  r: {
    virtual_account_id: number;
    license_type: string;
    kind: LicenseDetailType;
    quantity: number;
    start_date: string | null;
    end_date: string | null;
    subscription_id: string | null;
    status: string;
  },
  va: string,
  now: Date,
): TermRow {
  const end = dateOrNull(r.end_date);
  return {
    virtualAccountId: r.virtual_account_id,
    virtualAccount: va,
    licenseType: r.license_type,
    label: licenseLabel(r.license_type),
    kind: r.kind,
    quantity: r.quantity,
    startDate: dateOrNull(r.start_date),
    endDate: end,
    subscriptionId: r.subscription_id,
    status: r.status,
    daysLeft: end ? daysUntil(now, end) : null,
  };
}

function termSort(a: TermRow, b: TermRow): number {
  const ea = a.endDate?.getTime() ?? Infinity;
  const eb = b.endDate?.getTime() ?? Infinity;
  return ea - eb || cmp(a.virtualAccount, b.virtualAccount) || byType(a, b);
}

function endsWithin(t: TermRow, now: Date, days: number): boolean {
  if (!t.endDate) return false;
  const left = t.endDate.getTime() - now.getTime();
  return left > 0 && left <= days * 86_400_000;
}

/** Usage of one VA: licenses, substitutions, terms. */
export async function virtualAccountUsage(
  db: ReportDb,
  opts: { virtualAccountId: number; now: Date; termsWithinDays?: number },
): Promise<VirtualAccountUsage> {
  const va = (await virtualAccountRefs(db, [opts.virtualAccountId])).get(opts.virtualAccountId);
  if (!va) {
    throw new Error(`virtual account ${opts.virtualAccountId} does not exist`);
  }
  const lic = await db
    .selectFrom('licenses')
    .selectAll()
    .where('virtual_account_id', '=', va.id)
    .execute();
  const licenses: LicenseUsageRow[] = lic
    .map((l) => {
      const counts = {
        quantity: l.quantity,
        inUse: l.in_use,
        available: l.available,
        status: l.status,
      };
      return {
        licenseType: l.license_type,
        displayName: l.display_name,
        label: licenseLabel(l.license_type),
        owned: l.quantity,
        inUse: l.in_use,
        available: l.available,
        reserved: l.reserved,
        pending: l.pending_quantity,
        status: l.status,
        shortage: shortageOf(counts),
        compliant: !isShort(counts),
        billingType: l.billing_type,
      };
    })
    .sort(byType);
  const subs = await db
    .selectFrom('license_substitutions')
    .selectAll()
    .where('virtual_account_id', '=', va.id)
    .orderBy('id')
    .execute();
  // CSSM lists a substitution on the requested type's record: licenseName = the type asked
  // for, substitutedLicense = the type that served it.
  const substitutions: SubstitutionRow[] = subs.map((s) => {
    const borrower = typeKey(s.license_name);
    const lender = typeKey(s.substituted_license);
    const lenderLabel = licenseLabel(lender);
    const borrowerLabel = licenseLabel(borrower);
    return {
      lender,
      lenderLabel,
      borrower,
      borrowerLabel,
      quantity: s.quantity,
      kind: s.substitution_type,
      text: `${s.quantity} ${lenderLabel} lent to ${borrowerLabel}`,
    };
  });
  const details = await db
    .selectFrom('license_details as d')
    .innerJoin('licenses as l', 'l.id', 'd.license_id')
    .select([
      'l.virtual_account_id',
      'l.license_type',
      'd.license_type as kind',
      'd.quantity',
      'd.start_date',
      'd.end_date',
      'd.subscription_id',
      'd.status',
    ])
    .where('l.virtual_account_id', '=', va.id)
    .execute();
  const terms = details.map((d) => termRow(d, va.label, opts.now)).sort(termSort);
  const within = opts.termsWithinDays ?? 90;
  return {
    va,
    compliance: complianceOf(
      lic.map((l) => ({
        quantity: l.quantity,
        inUse: l.in_use,
        available: l.available,
        status: l.status,
      })),
    ),
    licenses,
    substitutions,
    terms,
    termsEndingSoon: terms.filter((t) => endsWithin(t, opts.now, within)),
  };
}

/** Term lines of every VA (or one SA's) that end within `withinDays` of `now`, soonest first. */
export async function expiringTerms(
  db: ReportDb,
  opts: { now: Date; withinDays: number; smartAccountId?: number },
): Promise<TermRow[]> {
  const from = opts.now.toISOString();
  const to = new Date(opts.now.getTime() + opts.withinDays * 86_400_000).toISOString();
  let q = db
    .selectFrom('license_details as d')
    .innerJoin('licenses as l', 'l.id', 'd.license_id')
    .innerJoin('virtual_accounts as v', 'v.id', 'l.virtual_account_id')
    .innerJoin('smart_accounts as s', 's.id', 'v.smart_account_id')
    .select([
      'l.virtual_account_id',
      'l.license_type',
      'd.license_type as kind',
      'd.quantity',
      'd.start_date',
      'd.end_date',
      'd.subscription_id',
      'd.status',
      's.domain',
      'v.name as va_name',
    ])
    .where('d.end_date', 'is not', null)
    .where('d.end_date', '>', from.slice(0, 10))
    .where('d.end_date', '<=', to);
  if (opts.smartAccountId !== undefined) q = q.where('s.id', '=', opts.smartAccountId);
  const rows = await q.execute();
  return rows
    .map((r) => termRow(r, vaLabel(r.domain, r.va_name), opts.now))
    .filter((t) => endsWithin(t, opts.now, opts.withinDays))
    .sort(termSort);
}

export interface CustomerUsageRow {
  customerId: number;
  customer: string;
  /** The VA the clusters draw on; null for clusters not assigned to one. */
  virtualAccountId: number | null;
  virtualAccount: string | null;
  /** The type the product counted (`UCM_Enhanced`, `HUCM_Foundation`, …). */
  licenseType: string;
  label: string;
  /** The HCS type it maps to (DOMAIN §6), which HLM and SI report; the type itself if HCS. */
  hcsType: string;
  /** HCS report code of `hcsType` (`HUCM_Foundation`), or `licenseType` when none. */
  reportCode: string;
  /** HCS application code (`HUCM`, `HCUC`, `HCER`), null when not an HCS-reportable type. */
  appCode: string | null;
  count: number;
  /** Clusters contributing. */
  clusters: number;
}

/**
 * How a usage is labelled in a report — the one rule the Service Inventory report and the HLM
 * report by customer both follow (docs/read-models.md "Labelling usage"): an HCS type as
 * itself; an Enterprise type as the HCS license DOMAIN §6's mapping table puts it under
 * (Essential, Basic, Enhanced → HCS UCM Foundation; Enhanced Plus, CUWL → HCS UCM Standard;
 * TelePresence Room → HCS UCM TelePresence Room; CUC Basic → HCS Unity Connection Basic; CUC
 * Enhanced → HCS Unity Connection Standard; CER user → HCS Emergency Responder), whatever the
 * VA's license mode; a type the table does not map (CUC Speech Connect port) as itself.
 */
export function hcsReportType(type: string): {
  hcsType: string;
  reportCode: string;
  appCode: string | null;
} {
  // Memoised per catalog type (a fixed set); reports map tens of thousands of usage rows.
  const known = REPORT_TYPES.get(type);
  if (known) return { ...known };
  if (!isLicenseTypeId(type)) return { hcsType: type, reportCode: type, appCode: null };
  const t = licenseType(type);
  const h = t.family === 'HCS' ? t : t.hcsFallback ? licenseType(t.hcsFallback) : undefined;
  const r = h
    ? { hcsType: h.id, reportCode: h.reportCode ?? h.id, appCode: h.appCode ?? null }
    : { hcsType: type, reportCode: type, appCode: null };
  REPORT_TYPES.set(type, r);
  return { ...r };
}

const REPORT_TYPES = new Map<
  string,
  { readonly hcsType: string; readonly reportCode: string; readonly appCode: string | null }
>();

/**
 * Usage per customer: per customer, VA and counted license type, the counts the customer's
 * clusters last reported. By customer name, then VA, then type.
 */
export async function customerUsage(
  db: ReportDb,
  opts: { customerId?: number } = {},
): Promise<CustomerUsageRow[]> {
  let q = db
    .selectFrom('cluster_license_usage as u')
    .innerJoin('clusters as c', 'c.id', 'u.cluster_id')
    .innerJoin('customers as k', 'k.id', 'c.customer_id')
    .leftJoin('virtual_accounts as v', 'v.id', 'c.virtual_account_id')
    .leftJoin('smart_accounts as s', 's.id', 'v.smart_account_id')
    .select((eb) => [
      'k.id as customer_id',
      'k.name as customer',
      'c.virtual_account_id',
      's.domain',
      'v.name as va_name',
      'u.license_type',
      eb.fn.sum<number>('u.count').as('count'),
      eb.fn.count<number>('u.cluster_id').as('clusters'),
    ])
    // k.name, s.domain and v.name follow from k.id and the VA; PostgreSQL wants them named.
    .groupBy(['k.id', 'c.virtual_account_id', 'u.license_type', 'k.name', 's.domain', 'v.name']);
  if (opts.customerId !== undefined) q = q.where('k.id', '=', opts.customerId);
  const rows = await q.execute();
  return rows
    .map((r) => ({
      customerId: r.customer_id,
      customer: r.customer,
      virtualAccountId: r.virtual_account_id,
      virtualAccount: r.domain && r.va_name ? vaLabel(r.domain, r.va_name) : null,
      licenseType: r.license_type,
      label: licenseLabel(r.license_type),
      ...hcsReportType(r.license_type),
      count: Number(r.count),
      clusters: Number(r.clusters),
    }))
    .sort(
      (a, b) =>
        cmp(a.customer, b.customer) ||
        cmp(a.virtualAccount ?? '~', b.virtualAccount ?? '~') ||
        byType(a, b),
    );
}
