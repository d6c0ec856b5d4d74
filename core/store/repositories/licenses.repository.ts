import { sql, type Kysely } from 'kysely';
import type { Clock } from '../../clock.ts';
import { systemClock } from '../../clock.ts';
import type { SecretBox } from '../crypto.ts';
import { jsonInt, jsonIntList, jsonRows, jsonText } from '../dialect.ts';
import type { BillingType, Database, LicenseDetailType } from '../schema.ts';
import { atomically, bool, dateOrNull, iso, isoOrNull, sqlBool } from './mapping.ts';

export interface LicenseDetail {
  licenseType: LicenseDetailType;
  quantity: number;
  startDate: Date | null;
  /** null for perpetual licenses. */
  endDate: Date | null;
  subscriptionId: string | null;
  status: string;
}

export interface LicenseInput {
  /** Catalog `LicenseTypeId` when known, else CSSM's license name (unique per VA). */
  licenseType: string;
  displayName: string;
  quantity: number;
  inUse: number;
  available: number;
  reserved?: number;
  pendingQuantity?: number;
  status: string;
  billingType: BillingType;
  isPortable?: boolean;
  details?: readonly LicenseDetail[];
}

export interface License extends Required<Omit<LicenseInput, 'details'>> {
  id: number;
  virtualAccountId: number;
  details: LicenseDetail[];
  updatedAt: Date;
}

export interface LicenseSubstitution {
  licenseName: string;
  substitutedLicense: string;
  quantity: number;
  substitutionType: string | null;
}

export class LicensesRepository {
  constructor(
    private readonly db: Kysely<Database>,
    _secrets?: SecretBox,
    private readonly clock: Clock = systemClock,
  ) {}

  /**
   * Replaces every license, detail and substitution of the VA with the given ones, all or
   * nothing (joins the caller's transaction if there is one).
   */
  async replaceForVirtualAccount(
    virtualAccountId: number,
    licenses: readonly LicenseInput[],
    substitutions: readonly LicenseSubstitution[] = [],
  ): Promise<void> {
    await this.replaceForVirtualAccounts([{ virtualAccountId, licenses, substitutions }]);
  }

  /**
   * `replaceForVirtualAccount` for many VAs (a sync's whole account) in five statements,
   * whatever the number of licenses: one statement per license and per license's details was
   * most of a full sync's SQLite and query-building time. Rows go in the order given (VAs,
   * then their licenses, then each license's details), so the ids are those one call per VA
   * would give (every table here has AUTOINCREMENT ids: a delete frees none).
   */
  async replaceForVirtualAccounts(
    entries: readonly {
      virtualAccountId: number;
      licenses: readonly LicenseInput[];
      substitutions?: readonly LicenseSubstitution[];
    }[],
  ): Promise<void> {
    if (entries.length === 0) return;
    const now = iso(this.clock.now());
    const vaIds = JSON.stringify(entries.map((e) => e.virtualAccountId));
    const licenseRows: unknown[][] = [];
    const substitutionRows: unknown[][] = [];
    for (const e of entries) {
      for (const l of e.licenses) {
        licenseRows.push([
          e.virtualAccountId,
          l.licenseType,
          l.displayName,
          l.quantity,
          l.inUse,
          l.available,
          l.reserved ?? 0,
          l.pendingQuantity ?? 0,
          l.status,
          l.billingType,
          sqlBool(l.isPortable),
        ]);
      }
      for (const s of e.substitutions ?? []) {
        substitutionRows.push([
          e.virtualAccountId,
          s.licenseName,
          s.substitutedLicense,
          s.quantity,
          s.substitutionType,
        ]);
      }
    }
    await atomically(this.db, async (trx) => {
      await sql`delete from licenses
        where virtual_account_id in ${jsonIntList(trx, vaIds)}`.execute(trx);
      await sql`delete from license_substitutions
        where virtual_account_id in ${jsonIntList(trx, vaIds)}`.execute(trx);
      if (licenseRows.length > 0) {
        const v = (i: number) => jsonInt(trx, 'j.value', i);
        const t = (i: number) => jsonText(trx, 'j.value', i);
        const { rows } = await sql<{ id: number; va: number; type: string }>`insert into licenses
            (virtual_account_id, license_type, display_name, quantity, in_use, available,
             reserved, pending_quantity, status, billing_type, is_portable, updated_at)
          select ${v(0)}, ${t(1)}, ${t(2)}, ${v(3)}, ${v(4)}, ${v(5)}, ${v(6)}, ${v(7)}, ${t(8)},
            ${t(9)}, ${v(10)}, ${now}
          from ${jsonRows(trx, JSON.stringify(licenseRows), 'j')}
          order by j.key
          returning id, virtual_account_id as va, license_type as type`.execute(trx);
        // (VA, license type) is unique: the insert above would have failed otherwise.
        const ids = new Map(rows.map((r) => [`${r.va}\u0000${r.type}`, r.id]));
        const detailRows: unknown[][] = [];
        for (const e of entries) {
          for (const l of e.licenses) {
            if (!l.details || l.details.length === 0) continue;
            const id = ids.get(`${e.virtualAccountId}\u0000${l.licenseType}`);
            for (const dt of l.details) {
              detailRows.push([
                id,
                dt.licenseType,
                dt.quantity,
                isoOrNull(dt.startDate),
                isoOrNull(dt.endDate),
                dt.subscriptionId,
                dt.status,
              ]);
            }
          }
        }
        if (detailRows.length > 0) {
          await sql`insert into license_details
              (license_id, license_type, quantity, start_date, end_date, subscription_id, status)
            select ${v(0)}, ${t(1)}, ${v(2)}, ${t(3)}, ${t(4)}, ${t(5)}, ${t(6)}
            from ${jsonRows(trx, JSON.stringify(detailRows), 'j')}
            order by j.key`.execute(trx);
        }
      }
      if (substitutionRows.length > 0) {
        const v = (i: number) => jsonInt(trx, 'j.value', i);
        const t = (i: number) => jsonText(trx, 'j.value', i);
        await sql`insert into license_substitutions
            (virtual_account_id, license_name, substituted_license, quantity, substitution_type)
          select ${v(0)}, ${t(1)}, ${t(2)}, ${v(3)}, ${t(4)}
          from ${jsonRows(trx, JSON.stringify(substitutionRows), 'j')}
          order by j.key`.execute(trx);
      }
    });
  }

  async listByVirtualAccount(virtualAccountId: number): Promise<License[]> {
    const rows = await this.db
      .selectFrom('licenses')
      .selectAll()
      .where('virtual_account_id', '=', virtualAccountId)
      .orderBy('license_type')
      .execute();
    if (rows.length === 0) return [];
    const details = await this.db
      .selectFrom('license_details')
      .selectAll()
      .where(
        'license_id',
        'in',
        rows.map((r) => r.id),
      )
      .orderBy('id')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      virtualAccountId: r.virtual_account_id,
      licenseType: r.license_type,
      displayName: r.display_name,
      quantity: r.quantity,
      inUse: r.in_use,
      available: r.available,
      reserved: r.reserved,
      pendingQuantity: r.pending_quantity,
      status: r.status,
      billingType: r.billing_type,
      isPortable: bool(r.is_portable),
      updatedAt: new Date(r.updated_at),
      details: details
        .filter((dt) => dt.license_id === r.id)
        .map((dt) => ({
          licenseType: dt.license_type,
          quantity: dt.quantity,
          startDate: dateOrNull(dt.start_date),
          endDate: dateOrNull(dt.end_date),
          subscriptionId: dt.subscription_id,
          status: dt.status,
        })),
    }));
  }

  async listSubstitutions(virtualAccountId: number): Promise<LicenseSubstitution[]> {
    const rows = await this.db
      .selectFrom('license_substitutions')
      .selectAll()
      .where('virtual_account_id', '=', virtualAccountId)
      .orderBy('id')
      .execute();
    return rows.map((r) => ({
      licenseName: r.license_name,
      substitutedLicense: r.substituted_license,
      quantity: r.quantity,
      substitutionType: r.substitution_type,
    }));
  }

  /** By VA name: the license types stored for each listed (not removed) VA of the account. */
  async typesBySmartAccount(smartAccountId: number): Promise<Map<string, Set<string>>> {
    const rows = await this.db
      .selectFrom('licenses')
      .innerJoin('virtual_accounts', 'virtual_accounts.id', 'licenses.virtual_account_id')
      .select(['virtual_accounts.name as va', 'licenses.license_type as type'])
      .where('virtual_accounts.smart_account_id', '=', smartAccountId)
      .where('virtual_accounts.removed_at', 'is', null)
      .execute();
    const out = new Map<string, Set<string>>();
    for (const r of rows) (out.get(r.va) ?? out.set(r.va, new Set()).get(r.va)!).add(r.type);
    return out;
  }
}
