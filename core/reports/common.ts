/**
 * What every read model shares: the database type it reads, labels, and look-ups by the names
 * an operator types (`<sa>/<va>`, a cluster name).
 */
import type { Kysely } from 'kysely';
import { findLicenseType, isLicenseTypeId, licenseType } from '../domain/catalog.ts';
import { SmartlicError } from '../errors.ts';
import type { Database } from '../store/schema.ts';

/** The database every read model takes as its first argument (a connection or a transaction). */
export type ReportDb = Kysely<Database>;

/** A virtual account as reports name it. */
export interface VirtualAccountRef {
  id: number;
  name: string;
  smartAccountId: number;
  smartAccountDomain: string;
  smartAccountName: string;
  /** `<sa-domain>/<va>`: how the CLI and chat address a VA. */
  label: string;
  /** CSSM stopped listing it at this sync (kept, with the operator's settings); null: listed. */
  missingSince: Date | null;
  /** Consecutive syncs whose VA list lacked it (0 while listed). */
  missingSyncs: number;
}

export function vaLabel(domain: string, name: string): string {
  return `${domain}/${name}`;
}

/**
 * A license type's short human name: "CUWL", "Enhanced Plus", "HCS UCM Standard". Unknown
 * types (not in the catalog) keep their stored name.
 */
export function licenseLabel(type: string): string {
  let label = LABELS.get(type);
  if (label === undefined) {
    const t = isLicenseTypeId(type) ? licenseType(type) : findLicenseType(type);
    label = t ? t.displayName.replace(/^UC Manager /, '').replace(/ License \([^)]*\)$/, '') : type;
    // The catalog is fixed, so a label never changes; reports ask for the same few types
    // tens of thousands of times. Bounded: a stored name outside the catalog is not kept.
    if (t) LABELS.set(type, label);
  }
  return label;
}

const LABELS = new Map<string, string>();

export const isoDay = (d: Date | null | undefined): string | null =>
  d ? d.toISOString().slice(0, 10) : null;

export function dateOrNull(s: string | null | undefined): Date | null {
  return s === null || s === undefined ? null : new Date(s);
}

function notFound(what: string, action: string): SmartlicError {
  return new SmartlicError({ code: 'NOT_FOUND', message: `${what} does not exist`, action });
}

/**
 * Finds a VA by `<sa>/<va>` where `<sa>` is the SA's domain or name (case-insensitive). The
 * split is at the first `/`: a domain never contains one, a VA name may.
 */
export async function resolveVirtualAccount(db: ReportDb, ref: string): Promise<VirtualAccountRef> {
  const i = ref.indexOf('/');
  if (i <= 0 || i === ref.length - 1) {
    throw new SmartlicError({
      code: 'INPUT',
      message: `"${ref}" does not name a virtual account`,
      action: 'write it as <smart-account-domain>/<virtual-account>, e.g. acme.com/DEFAULT',
    });
  }
  const sa = ref.slice(0, i).trim().toLowerCase();
  const va = ref.slice(i + 1);
  const rows = await db
    .selectFrom('virtual_accounts as v')
    .innerJoin('smart_accounts as s', 's.id', 'v.smart_account_id')
    .select([
      'v.id',
      'v.name',
      'v.smart_account_id',
      's.domain',
      's.name as sa_name',
      's.local_account_name',
      'v.missing_since',
      'v.missing_syncs',
    ])
    .execute();
  const matchSa = (r: (typeof rows)[number]) =>
    r.domain.toLowerCase() === sa ||
    r.sa_name.toLowerCase() === sa ||
    (r.local_account_name ?? '').toLowerCase() === sa;
  const hit =
    rows.find((r) => matchSa(r) && r.name === va) ??
    rows.find((r) => matchSa(r) && r.name.toLowerCase() === va.toLowerCase());
  if (!hit) {
    throw notFound(
      `virtual account ${ref}`,
      rows.some(matchSa)
        ? 'see `smartlic va list` for the names'
        : 'check the Smart Account domain (`smartlic account list`)',
    );
  }
  return {
    id: hit.id,
    name: hit.name,
    smartAccountId: hit.smart_account_id,
    smartAccountDomain: hit.domain,
    smartAccountName: hit.sa_name,
    label: vaLabel(hit.domain, hit.name),
    missingSince: dateOrNull(hit.missing_since),
    missingSyncs: hit.missing_syncs,
  };
}

/** VA references by id, for the VAs given (one query). */
export async function virtualAccountRefs(
  db: ReportDb,
  ids?: readonly number[],
): Promise<Map<number, VirtualAccountRef>> {
  if (ids && ids.length === 0) return new Map();
  let q = db
    .selectFrom('virtual_accounts as v')
    .innerJoin('smart_accounts as s', 's.id', 'v.smart_account_id')
    .select([
      'v.id',
      'v.name',
      'v.smart_account_id',
      's.domain',
      's.name as sa_name',
      'v.missing_since',
      'v.missing_syncs',
    ]);
  if (ids) q = q.where('v.id', 'in', [...ids]);
  const rows = await q.execute();
  return new Map(
    rows.map((r) => [
      r.id,
      {
        id: r.id,
        name: r.name,
        smartAccountId: r.smart_account_id,
        smartAccountDomain: r.domain,
        smartAccountName: r.sa_name,
        label: vaLabel(r.domain, r.name),
        missingSince: dateOrNull(r.missing_since),
        missingSyncs: r.missing_syncs,
      },
    ]),
  );
}

/**
 * Finds a cluster's id by name, and by customer when two customers have a cluster of that
 * name (an INPUT error says so).
 */
export async function resolveCluster(
  db: ReportDb,
  name: string,
  customer?: string,
): Promise<number> {
  let q = db
    .selectFrom('clusters as c')
    .innerJoin('customers as k', 'k.id', 'c.customer_id')
    .select(['c.id', 'k.name as customer'])
    .where('c.name', '=', name);
  if (customer !== undefined) q = q.where('k.name', '=', customer);
  const rows = await q.execute();
  if (rows.length === 0) {
    throw notFound(
      `cluster ${name}${customer ? ` of ${customer}` : ''}`,
      'see `smartlic cluster list` for the names',
    );
  }
  if (rows.length > 1) {
    throw new SmartlicError({
      code: 'INPUT',
      message: `${rows.length} customers have a cluster named ${name} (${rows.map((r) => r.customer).join(', ')})`,
      action: 'say which with --customer NAME',
    });
  }
  return rows[0]!.id;
}

/**
 * Code-unit string order: deterministic on every machine and far cheaper than localeCompare
 * when a report sorts tens of thousands of rows.
 */
export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
